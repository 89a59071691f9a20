#!/usr/bin/env node
// The patch stride's trade of speed for quality: the shipped image models restore the packed
// corpus's held-out test photos (scripts/bench/pack-images.js) at 10 DDIM steps with each stride;
// mean RGB PSNR against the clean photos, and the process's CPU seconds a photo (one thread).
//   usage: node scripts/bench/image-stride.js [--strides 16,24,32] [--data bench/data/images/test]
const path = require('node:path');
const { parseArgs } = require('node:util');
const { listImageFiles, loadModel, psnr, readImage } = require('../../dist');

const { values: o } = parseArgs({
  options: {
    strides: { type: 'string', default: '16,24,32' },
    data: { type: 'string', default: path.join(__dirname, '..', '..', 'bench/data/images/test') },
  },
});

async function main() {
  for (const [name, task] of [
    ['image-denoise', 'noisy'],
    ['image-derain', 'rain'],
  ]) {
    const model = await loadModel(name, { threads: 1 });
    const files = listImageFiles(path.join(o.data, task));
    for (const stride of o.strides.split(',').map(Number)) {
      let sum = 0;
      const before = process.cpuUsage();
      for (const file of files) {
        const clean = await readImage(path.join(o.data, 'clean', path.basename(file)));
        sum += psnr(clean, await model.restore(file, { steps: 10, stride, seed: 0 }));
      }
      const cpu = process.cpuUsage(before);
      const perPhoto = (cpu.user + cpu.system) / 1e6 / files.length;
      console.log(`| ${name} | ${stride} | ${(sum / files.length).toFixed(2)} | ${perPhoto.toFixed(1)} |`);
    }
    await model.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
