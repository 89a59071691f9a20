#!/usr/bin/env node
// One restoregrad case of the throughput benchmark, in a process of its own; prints one JSON line.
// usage: node throughput_case.js PRESET model|pool|folder|image BATCH SECONDS THREADS [PRECISION]
// `folder` restores BATCH WAV files of SECONDS each with the CLI's restore command; `image`
// restores BATCH random RGB pictures of SECONDS × SECONDS pixels with 10 DDIM steps.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const dist = path.join(__dirname, '..', '..', 'dist');
const { createModel, RestorePool, presets, encodeWav } = require(dist);
const { restoreFiles } = require(path.join(dist, 'cli', 'restore'));

// A small LCG and Box-Muller: the same inputs in every run.
let seed = 1;
const nextRandom = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed;
};
const noise = () => {
  const u = (nextRandom() + 1) / (2 ** 31 + 1);
  return 0.1 * Math.sqrt(-2 * Math.log(u)) * Math.cos((2 * Math.PI * nextRandom()) / 2 ** 31);
};

async function folderCase(preset, files, samples, threads) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-folder-'));
  try {
    const model = await createModel({ preset, threads: 1 });
    await model.save(path.join(dir, 'model.safetensors'));
    await model.dispose();
    fs.mkdirSync(path.join(dir, 'in'));
    for (let i = 0; i < files; i++)
      fs.writeFileSync(
        path.join(dir, 'in', `${String(i).padStart(5, '0')}.wav`),
        encodeWav(Float32Array.from({ length: samples }, noise), 16000),
      );
    const rssBefore = process.memoryUsage().rss / 2 ** 20;
    const t0 = performance.now();
    await restoreFiles({
      model: path.join(dir, 'model.safetensors'),
      out: path.join(dir, 'out'),
      inputs: [path.join(dir, 'in')],
      steps: 6,
      seed: 0,
      workers: threads,
    });
    const seconds = (performance.now() - t0) / 1000;
    if (fs.readdirSync(path.join(dir, 'out')).length !== files) throw new Error('missing outputs');
    return { seconds, audioSeconds: (files * samples) / 16000, maxRssMiB: process.resourceUsage().maxRSS / 1024, rssBeforeMiB: rssBefore };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function imageCase(preset, pictures, side, threads) {
  // PriorGrad's prior, as the shipped image models and the image reference use.
  const model = await createModel({ preset, threads, prior: 'priorgrad' });
  try {
    const picture = (n) => ({
      data: Uint8Array.from({ length: n * n * 3 }, () => nextRandom() % 256),
      width: n,
      height: n,
      channels: 3,
    });
    await model.restore(picture(model.config.patchSize), { steps: 10 });
    const inputs = Array.from({ length: pictures }, () => picture(side));
    const t0 = performance.now();
    await model.restore(inputs, { steps: 10 });
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, pictures, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
  } finally {
    await model.dispose();
  }
}

async function main() {
  const [preset, mode, batchArg, secondsArg, threadsArg, precisionArg] = process.argv.slice(2);
  const precision = precisionArg ?? 'float32';
  const batch = Number(batchArg);
  const threads = Number(threadsArg);
  const config = presets[preset];
  if (mode === 'image') {
    console.log(JSON.stringify(await imageCase(preset, batch, Number(secondsArg), threads)));
    return;
  }
  const samples = Math.floor((Number(secondsArg) * config.sampleRate) / config.hop) * config.hop;
  if (mode === 'folder') {
    console.log(JSON.stringify(await folderCase(preset, batch, samples, threads)));
    return;
  }
  const inputs = Array.from({ length: batch }, () => Float32Array.from({ length: samples }, noise));
  const warm = Array.from({ length: threads }, () => inputs[0].subarray(0, 8 * config.hop));
  // Chunks as long as the inputs: the cases measure the batch sizes they name.
  const batching = { maxBatch: batch, chunkSeconds: Number(secondsArg) };
  let run;
  let close;
  if (mode === 'pool') {
    const pool = await RestorePool.open({ model: { preset }, workers: threads, threadsPerWorker: 1, batching });
    run = (xs) => Promise.all(xs.map((x) => pool.restore(x, { precision })));
    close = () => pool.close();
  } else {
    const model = await createModel({ preset, threads, batching });
    run = (xs) => model.restore(xs, { precision });
    close = () => model.dispose();
  }
  await run(warm);
  const t0 = performance.now();
  await run(inputs);
  const seconds = (performance.now() - t0) / 1000;
  await close();
  // ru_maxrss covers worker threads too: they share the process.
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ seconds, audioSeconds: (batch * samples) / config.sampleRate, maxRssMiB }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
