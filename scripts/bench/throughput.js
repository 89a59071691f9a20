#!/usr/bin/env node
// `npm run bench:throughput`: restoregrad against the CDiffuSE-style Python reference
// (scripts/bench/throughput_reference.py on Debian's python3-torch) on this machine, in one run,
// with the same threads, sizes and 6-step schedule. Each case runs in its own process so that its
// peak memory is its own. Images are compared the same way with throughput_reference_image.py:
// restoregrad's patch UNet and DDIM patch sampler as WeatherDiffusion's public code runs them
// (Python loops over steps and patches), doing the same arithmetic. Writes bench/results/throughput.md.
//
// usage: node scripts/bench/throughput.js [--threads 2] [--presets speech-small,speech-base] [--skip-reference]
//        [--folder-preset speech-small] [--image-presets image-small,image-base]
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const root = path.join(__dirname, '..', '..');
const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    presets: { type: 'string', default: 'speech-small,speech-base' },
    'skip-reference': { type: 'boolean', default: false },
    'folder-preset': { type: 'string', default: 'speech-small' },
    'image-presets': { type: 'string', default: 'image-small,image-base' },
    out: { type: 'string', default: path.join(root, 'bench', 'results', 'throughput.md') },
  },
});
const threads = Number(values.threads);
const { presets } = require(path.join(root, 'dist'));
const { cpuBf16 } = require(path.join(root, 'dist', 'native'))
  .native()
  .buildInfo();

// Both sides allocate with tcmalloc when the machine has it, as the CLI does (lib/allocator.ts).
const tcmalloc = require(path.join(root, 'dist', 'allocator')).findTcmalloc();
const env = tcmalloc ? { ...process.env, LD_PRELOAD: tcmalloc } : process.env;

function json(cmd, args) {
  const out = execFileSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').at(-1));
}
const reference = (config, batch, seconds) =>
  json('/usr/bin/python3', [path.join(__dirname, 'throughput_reference.py'), JSON.stringify(config), batch, seconds, threads]);
const referenceImage = (config, side) =>
  json('/usr/bin/python3', [path.join(__dirname, 'throughput_reference_image.py'), JSON.stringify(config), side, side, threads]);
const ours = (preset, mode, batch, seconds, precision = 'float32') =>
  json(process.execPath, [path.join(__dirname, 'throughput_case.js'), preset, mode, batch, seconds, threads, precision]);

/** Floating-point operations of one 6-step restoration of `samples` samples, counted from layer shapes. */
function flops(c, samples, conditionerEveryStep) {
  const C = c.residualChannels;
  const L = c.residualLayers;
  const bins = c.nFft / 2 + 1;
  const perStep = samples * (2 * C + L * (2 * 2 * C * 3 * C + 2 * 2 * C * C) + 2 * C * C + 2 * C);
  const positions = c.upsampler === 'repeat' && !conditionerEveryStep ? samples / c.hop : samples;
  const conditioner = positions * L * 2 * bins * 2 * C;
  const steps = c.fastBetas.length;
  return steps * perStep + (conditionerEveryStep ? steps : 1) * conditioner;
}

const gemm = json('/usr/bin/python3', [path.join(__dirname, 'throughput_reference.py'), '--gemm', threads]).gemmGflops;
const rows = [];
for (const preset of values.presets.split(',')) {
  const config = presets[preset];
  const cases = [
    { label: 'batch 1 × 4 s', batch: 1, seconds: 4, mode: 'model' },
    { label: 'batch 8 × 1 s', batch: 8, seconds: 1, mode: 'model' },
    { label: `pool, ${threads} workers × 1 thread, 8 × 1 s`, batch: 8, seconds: 1, mode: 'pool' },
    { label: 'batch 1 × 4 s, bfloat16', batch: 1, seconds: 4, mode: 'model', precision: 'bfloat16' },
    { label: 'batch 8 × 1 s, bfloat16', batch: 8, seconds: 1, mode: 'model', precision: 'bfloat16' },
    { label: `pool, ${threads} workers × 1 thread, 8 × 1 s, bfloat16`, batch: 8, seconds: 1, mode: 'pool', precision: 'bfloat16' },
  ];
  for (const k of cases) {
    console.error(`${preset}: ${k.label}`);
    const mine = ours(preset, k.mode, k.batch, k.seconds, k.precision);
    const ref = values['skip-reference'] || k.mode === 'pool' || k.precision ? undefined : reference(config, k.batch, k.seconds);
    const samples = mine.audioSeconds * config.sampleRate;
    rows.push({ preset, ...k, mine, ref, gflops: flops(config, samples, false) / mine.seconds / 1e9 });
  }
}

// A folder through the CLI's restore: peak memory should not grow with the number of files.
const folders = [200, 1000].map((files) => {
  console.error(`folder of ${files} files`);
  return { files, ...ours(values['folder-preset'], 'folder', files, 0.25) };
});

// Images: one 256 × 256 RGB picture, 10 DDIM steps (ddimFastSteps, which the reference runs).
const images = (values['image-presets'] ? values['image-presets'].split(',') : []).map((preset) => {
  console.error(`${preset}: 256 × 256`);
  const mine = ours(preset, 'image', 1, 256);
  return { preset, mine, ref: values['skip-reference'] ? undefined : referenceImage(presets[preset], 256) };
});

const fmt = (x, d = 2) => (x === undefined ? '–' : x.toFixed(d));
const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.arch();
const lines = [
  '# Throughput: restoregrad against a CDiffuSE-style PyTorch loop',
  '',
  `Command: \`npm run bench:throughput -- --threads ${threads} --presets ${values.presets} --image-presets ${values['image-presets']}\``,
  `Machine: ${os.availableParallelism()} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ` +
    `Debian LibTorch 1.13 (addon) and python3-torch 1.13 (reference). Date: ${new Date().toISOString().slice(0, 10)}.`,
  `Allocator: ${tcmalloc ? 'tcmalloc (preloaded) for both sides' : 'the system malloc'}.`,
  `Threads: ${threads} for every case. Schedule: 6 steps. Inputs: Gaussian noise at RMS 0.1 (time does not depend on content).`,
  `Measured fp32 GEMM rate (torch.mm, ${threads} threads, best of three shapes): ${fmt(gemm, 0)} GFLOP/s.`,
  '',
  'restoregrad runs the learned prior (its Prior Net included); the reference is CDiffuSE with no prior',
  'network, calling the whole network, upsampler and conditioner projections included, at every step.',
  'GFLOP/s counts the arithmetic restoregrad needs (conditioner once per call) over its wall time.',
  '',
  '| preset | case | reference (s) | restoregrad (s) | speed-up | audio s / s (ours) | real-time factor (ours) | GFLOP/s (ours) | % of GEMM | peak RSS MiB (ref / ours) |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.preset} | ${r.label} | ${fmt(r.ref?.seconds)} | ${fmt(r.mine.seconds)} | ${r.ref ? `${fmt(r.ref.seconds / r.mine.seconds, 1)}×` : '–'} | ` +
      `${fmt(r.mine.audioSeconds / r.mine.seconds)} | ${fmt(r.mine.seconds / r.mine.audioSeconds)} | ${fmt(r.gflops, 0)} | ` +
      `${fmt((100 * r.gflops) / gemm, 0)} % | ${fmt(r.ref?.maxRssMiB, 0)} / ${fmt(r.mine.maxRssMiB, 0)} |`,
  ),
  '',
  `## A folder of WAV files through \`restoregrad restore\` (${values['folder-preset']}, 0.25 s each, ${threads} workers, default precision: ${cpuBf16 ? 'bfloat16 on this CPU' : 'float32 on this CPU'})`,
  '',
  '| files | wall (s) | audio s / s | peak RSS (MiB) |',
  '|---|---|---|---|',
  ...folders.map((f) => `| ${f.files} | ${fmt(f.seconds)} | ${fmt(f.audioSeconds / f.seconds)} | ${fmt(f.maxRssMiB, 0)} |`),
  '',
  `## Images: one 256 × 256 RGB picture, 10 DDIM steps, one model with ${threads} threads`,
  '',
  'The reference is the same patch UNet and sampler in plain PyTorch, run as WeatherDiffusion runs its',
  'patch sampler: the same patch grid and 16 patches per network call, the time embedding computed in every',
  'call and the patches cut again at every step. Both draw x_T from PriorGrad’s prior, as the shipped image',
  'models do.',
  '',
  '| preset | reference (s) | restoregrad (s) | speed-up | pictures / s (ours) | peak RSS MiB (ref / ours) |',
  '|---|---|---|---|---|---|',
  ...images.map(
    (r) =>
      `| ${r.preset} | ${fmt(r.ref?.seconds)} | ${fmt(r.mine.seconds)} | ${r.ref ? `${fmt(r.ref.seconds / r.mine.seconds, 1)}×` : '–'} | ` +
      `${fmt(r.mine.pictures / r.mine.seconds, 3)} | ${fmt(r.ref?.maxRssMiB, 0)} / ${fmt(r.mine.maxRssMiB, 0)} |`,
  ),
  '',
];
fs.mkdirSync(path.dirname(values.out), { recursive: true });
fs.writeFileSync(values.out, lines.join('\n'));
console.log(lines.join('\n'));
