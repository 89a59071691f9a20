#!/usr/bin/env node
// Packs the image corpus of scripts/prepare-data.sh into the raw files rg_train_images reads, small
// enough to carry to another machine, and the held-out test set as PNG folders for `restoregrad eval`:
//   OUT/train.u8        training photos scaled to cover SIDE×SIDE, [N, 3, SIDE, SIDE] uint8
//   OUT/rain.u8         rain opacity layers (addRain over black), [M, 1, SIDE, SIDE] uint8
//   OUT/test-{clean,noisy,rain}.u8   test photos at the same scale, centre 256×256 crops:
//                       clean, σ = 25 noise and rain, made by the library's own degradations
//   OUT/test/{clean,noisy,rain}/NAME.png   the same test pictures as files
//   usage: node scripts/bench/pack-images.js CORPUS OUT [side=384] [rain-layers=48]
const fs = require('node:fs');
const path = require('node:path');
const sharp = require('sharp');
const { addGaussianNoise, addRain, writeImage, listImageFiles } = require('../../dist');

const [corpus, out, sideArg = '384', layersArg = '48'] = process.argv.slice(2);
if (!corpus || !out) {
  console.error('usage: node scripts/bench/pack-images.js CORPUS OUT [side] [rain-layers]');
  process.exit(2);
}
const side = Number(sideArg);
const TEST = 256;

// Interleaved RGB → planar [3, H, W].
function planar({ data, width, height }) {
  const n = width * height;
  const p = Buffer.alloc(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) p[c * n + i] = data[3 * i + c];
  return p;
}

async function load(file, size, crop) {
  const scaled = sharp(file).removeAlpha().resize(size, size, { fit: 'cover' });
  const cropped = crop
    ? sharp(await scaled.png().toBuffer()).extract({ left: (size - crop) / 2, top: (size - crop) / 2, width: crop, height: crop })
    : scaled;
  const { data, info } = await cropped.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 };
}

async function main() {
  fs.mkdirSync(out, { recursive: true });
  const train = listImageFiles(path.join(corpus, 'images', 'train'));
  const test = listImageFiles(path.join(corpus, 'images', 'test'));
  const pictures = [];
  for (const f of train) pictures.push(planar(await load(f, side)));
  fs.writeFileSync(path.join(out, 'train.u8'), Buffer.concat(pictures));

  const black = { data: new Uint8Array(side * side), width: side, height: side, channels: 1 };
  const layers = [];
  for (let k = 0; k < Number(layersArg); k++) layers.push(Buffer.from(addRain(black, { seed: 50_000 + k }).data));
  fs.writeFileSync(path.join(out, 'rain.u8'), Buffer.concat(layers));

  const sets = { clean: [], noisy: [], rain: [] };
  for (const [i, f] of test.entries()) {
    const clean = await load(f, side, TEST);
    const versions = { clean, noisy: addGaussianNoise(clean, 25, 1 + i), rain: addRain(clean, { seed: 1000 + i }) };
    for (const [name, im] of Object.entries(versions)) {
      sets[name].push(planar(im));
      fs.mkdirSync(path.join(out, 'test', name), { recursive: true });
      await writeImage(path.join(out, 'test', name, path.basename(f)), im);
    }
  }
  for (const [name, list] of Object.entries(sets)) fs.writeFileSync(path.join(out, `test-${name}.u8`), Buffer.concat(list));
  console.log(`${pictures.length} training photos at ${side}², ${layers.length} rain layers, ${test.length} test photos at ${TEST}²`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
