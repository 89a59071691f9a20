#!/usr/bin/env node
// npm run bench:train: training speed through the library, per preset and thread count: steps a
// second, and audio seconds (speech) or patches (images) a second. Speech trains on synthetic
// voices in noise, images on the noise task of the packed photos' test pictures (their content does
// not change the arithmetic). Training runs in float32: the library has no lower-precision training.
// Run it on a quiet machine: other work on the cores changes the figures.
//   usage: node scripts/bench/train-speed.js [--presets speech-small,speech-base,image-small]
//          [--threads 1,2] [--images bench/data/images/test/clean] [--out bench/results/training.md]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { addNoise, synthVoice } = require('../../dist/audio/synth');
const { createModel, degradedImages, resolveConfig } = require('../../dist');

const root = path.join(__dirname, '..', '..');
const { values: o } = parseArgs({
  options: {
    presets: { type: 'string', default: 'speech-small,speech-base,image-small' },
    threads: { type: 'string', default: '1,2' },
    images: { type: 'string', default: path.join(root, 'bench/data/images/test/clean') },
    out: { type: 'string', default: path.join(root, 'bench/results/training.md') },
  },
});
// Timed steps per preset (after two untimed ones): about half a minute each on a 2-core CPU.
const timedSteps = { 'speech-small': 20, 'speech-base': 6, 'image-small': 20 };
const BATCH = 8;

function speechPairs(sampleRate) {
  return Array.from({ length: 8 }, (_, i) => {
    const clean = synthVoice({ seconds: 3, sampleRate, f0: 100 + 15 * i, seed: i + 1 });
    return { clean, degraded: addNoise(clean, 5, i + 1) };
  });
}

async function measure(preset, threads) {
  const config = resolveConfig(preset);
  const image = config.modality === 'image';
  const data = image ? degradedImages(o.images, { kind: 'noise', sigma: 25 }) : speechPairs(config.sampleRate);
  const model = await createModel({ preset, threads, seed: 1 });
  try {
    await model.train(data, { steps: 2, batchSize: BATCH });
    const steps = timedSteps[preset] ?? 10;
    const started = process.hrtime.bigint();
    await model.train(data, { steps, batchSize: BATCH, seed: 1 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const crop = 62 * config.hop;
    return {
      stepsPerSecond: steps / seconds,
      unitsPerSecond: image ? (steps * BATCH) / seconds : (steps * BATCH * crop) / config.sampleRate / seconds,
      unit: image ? `patches of ${config.patchSize}²` : `s of audio (crops of ${crop})`,
    };
  } finally {
    await model.dispose();
  }
}

async function main() {
  const rows = [];
  for (const preset of o.presets.split(','))
    for (const threads of o.threads.split(',').map(Number)) {
      const r = await measure(preset, threads);
      console.log(`${preset}, ${threads} thread(s): ${r.stepsPerSecond.toFixed(3)} steps/s, ${r.unitsPerSecond.toFixed(2)} ${r.unit}/s`);
      rows.push(`| ${preset} | ${threads} | float32 | ${r.stepsPerSecond.toFixed(3)} | ${r.unitsPerSecond.toFixed(2)} ${r.unit} |`);
    }
  const lines = [
    '# Training speed',
    '',
    `Command: \`npm run bench:train -- ${process.argv.slice(2).join(' ')}\``.replace(' -- `', '`'),
    `Machine: ${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; date ${new Date().toISOString().slice(0, 10)}.`,
    `Batch ${BATCH}, the presets' training crops (speech: 62 hops) and patches; two untimed steps first, then ${Object.entries(timedSteps)
      .map(([p, n]) => `${n} (${p})`)
      .join(', ')} timed steps.`,
    '',
    '| preset | threads | precision | steps/s | per second |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ];
  fs.writeFileSync(o.out, lines.join('\n'));
  console.log(`wrote ${o.out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
