// Shared by the image benchmarks: the tasks rg_train_images trains on, and the packed test set of
// scripts/bench/pack-images.js as crops and Image objects.
const fs = require('node:fs');
const path = require('node:path');

const TEST_SIDE = 256;
/** Each task's training arguments and packed test file. */
const tasks = {
  noise: { label: 'Gaussian noise (train σ 15–35, test σ = 25)', args: () => ['--sigma', '15,35'], test: 'test-noisy.u8' },
  rain: { label: 'synthetic rain', args: (d) => ['--rain', path.join(d, 'rain.u8'), '--rain-side', '384'], test: 'test-rain.u8' },
};

// Centre crops of the packed 256×256 test pictures: [N, 3, crop, crop] bytes.
function cropPack(file, crop) {
  const bytes = fs.readFileSync(file);
  const n = bytes.length / (3 * TEST_SIDE * TEST_SIDE);
  const out = Buffer.alloc(n * 3 * crop * crop);
  const off = (TEST_SIDE - crop) / 2;
  let o = 0;
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < crop; y++) {
        const start = ((i * 3 + c) * TEST_SIDE + off + y) * TEST_SIDE + off;
        bytes.copy(out, o, start, start + crop);
        o += crop;
      }
  return out;
}

// Planar [3, S, S] bytes → interleaved Image.
function toImage(planar, side) {
  const n = side * side;
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[3 * i + c] = planar[c * n + i];
  return { data, width: side, height: side, channels: 3 };
}

function pictures(buffer, side) {
  const item = 3 * side * side;
  return Array.from({ length: buffer.length / item }, (_, i) => toImage(buffer.subarray(i * item, (i + 1) * item), side));
}

/** Runs fn over items, at most `jobs` at a time. */
async function pool(items, jobs, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(jobs, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

module.exports = { TEST_SIDE, cropPack, pictures, pool, tasks };
