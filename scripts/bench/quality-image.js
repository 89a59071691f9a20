#!/usr/bin/env node
// npm run bench:quality:image: the three priors trained for the same steps, data and seed on each
// image task (Gaussian noise σ ∈ [15, 35] with a σ = 25 test set, and synthetic rain), by
// rg_train_images on packed photos (scripts/bench/pack-images.js); the PSNR of the held-out test
// crops with the config's DDIM steps and its fast steps at every evaluation; at the end PSNR and
// SSIM (RGB) of the input and of each prior's last model, restored through the library's API.
// Writes REPORT (markdown) and one PNG plot per task beside it.
//   usage: node scripts/bench/quality-image.js [--data bench/data/images] [--preset image-tiny]
//          [--steps 1500] [--batch 16] [--eval-every 250] [--crop 64] [--jobs 2]
//          [--tasks noise,rain] [--priors standard,priorgrad,learned] [--report bench/results/quality-image.md]
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs, promisify } = require('node:util');
const { loadModel, psnr, resolveConfig, ssim } = require('../../dist');
const { cropPack, pictures, pool, tasks } = require('./image-eval');
const { plotLines } = require('./plot');

const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');
const { values: o } = parseArgs({
  options: {
    data: { type: 'string', default: path.join(root, 'bench/data/images') },
    preset: { type: 'string', default: 'image-tiny' },
    steps: { type: 'string', default: '1500' },
    batch: { type: 'string', default: '16' },
    'eval-every': { type: 'string', default: '250' },
    crop: { type: 'string', default: '64' },
    jobs: { type: 'string', default: String(Math.max(1, os.availableParallelism())) },
    tasks: { type: 'string', default: 'noise,rain' },
    priors: { type: 'string', default: 'standard,priorgrad,learned' },
    report: { type: 'string', default: path.join(root, 'bench/results/quality-image.md') },
  },
});
const trainer = path.join(root, 'build', 'rg_train_images');
const mean = (xs) => xs.reduce((s, v) => s + v, 0) / xs.length;

async function scoreModel(file, degraded, clean, steps) {
  const model = await loadModel(file, { threads: 1 });
  try {
    const restored = [];
    for (const im of degraded) restored.push(await model.restore(im, { steps, seed: 0 }));
    return { psnr: mean(restored.map((r, i) => psnr(clean[i], r))), ssim: mean(restored.map((r, i) => ssim(clean[i], r))) };
  } finally {
    await model.dispose();
  }
}

async function main() {
  if (!fs.existsSync(trainer)) throw new Error(`${trainer} is missing: build with \`npm run compile\``);
  if (!fs.existsSync(path.join(o.data, 'train.u8')))
    throw new Error(`no packed photos in ${o.data}: bash scripts/prepare-data.sh DIR && node scripts/bench/pack-images.js DIR ${o.data}`);
  const crop = Number(o.crop);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-quality-image-'));
  fs.writeFileSync(path.join(work, 'test-clean.u8'), cropPack(path.join(o.data, 'test-clean.u8'), crop));
  const runs = [];
  for (const task of o.tasks.split(',')) {
    fs.writeFileSync(path.join(work, `test-${task}.u8`), cropPack(path.join(o.data, tasks[task].test), crop));
    for (const prior of o.priors.split(',')) runs.push({ task, prior, dir: path.join(work, `${task}-${prior}`) });
  }
  const started = Date.now();
  await pool(runs, Number(o.jobs), async (r) => {
    fs.mkdirSync(r.dir);
    const config = resolveConfig(o.preset, { prior: r.prior });
    fs.writeFileSync(path.join(r.dir, 'config.json'), JSON.stringify(config));
    const taskArgs = tasks[r.task].args;
    const args = [
      ...['--config', path.join(r.dir, 'config.json'), '--threads', '1', '--seed', '1', '--out', r.dir],
      ...['--train', path.join(o.data, 'train.u8'), '--train-side', '384', ...taskArgs(o.data)],
      ...['--test-clean', path.join(work, 'test-clean.u8'), '--test-degraded', path.join(work, `test-${r.task}.u8`)],
      ...['--test-side', String(crop), '--steps', o.steps, '--batch', o.batch, '--eval-every', o['eval-every']],
    ];
    await run(trainer, args, { maxBuffer: 1 << 24 });
    process.stderr.write(`done: ${r.task} ${r.prior}\n`);
  });
  const minutes = (Date.now() - started) / 60000;

  const config = resolveConfig(o.preset);
  const clean = pictures(fs.readFileSync(path.join(work, 'test-clean.u8')), crop);
  const lines = [
    '# Image restoration: the three priors at equal training steps',
    '',
    `Command: \`npm run bench:quality:image -- ${process.argv.slice(2).join(' ')}\``.replace(' -- `', '`'),
    `Machine: ${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; date ${new Date().toISOString().slice(0, 10)}; training took ${minutes.toFixed(1)} min (${o.jobs} at a time, 1 thread each).`,
    `Preset \`${o.preset}\` (image target \`${config.imageTarget}\`), ${o.steps} steps of batch ${o.batch}, seed 1, the same patches for every prior.`,
    `Test set: the ${clean.length} held-out photos of the corpus, centre ${crop}×${crop} crops (noise σ = 25 and rain made by the library, seeded).`,
    '',
  ];
  for (const task of o.tasks.split(',')) {
    const degraded = pictures(fs.readFileSync(path.join(work, `test-${task}.u8`)), crop);
    const input = { psnr: mean(degraded.map((d, i) => psnr(clean[i], d))), ssim: mean(degraded.map((d, i) => ssim(clean[i], d))) };
    lines.push(
      `## ${tasks[task].label}`,
      '',
      `| prior | PSNR ${config.ddimSteps} steps | SSIM ${config.ddimSteps} steps | PSNR ${config.ddimFastSteps} steps | SSIM ${config.ddimFastSteps} steps |`,
      '|---|---|---|---|---|',
    );
    lines.push(`| input | ${input.psnr.toFixed(2)} | ${input.ssim.toFixed(3)} | ${input.psnr.toFixed(2)} | ${input.ssim.toFixed(3)} |`);
    const series = [];
    const scores = {};
    for (const prior of o.priors.split(',')) {
      const dir = path.join(work, `${task}-${prior}`);
      const full = await scoreModel(path.join(dir, 'weights.safetensors'), degraded, clean, config.ddimSteps);
      const fast = await scoreModel(path.join(dir, 'weights.safetensors'), degraded, clean, config.ddimFastSteps);
      lines.push(`| ${prior} | ${full.psnr.toFixed(2)} | ${full.ssim.toFixed(3)} | ${fast.psnr.toFixed(2)} | ${fast.ssim.toFixed(3)} |`);
      scores[prior] = { full, fast };
      const log = fs
        .readFileSync(path.join(dir, 'log.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',').map(Number));
      series.push({ name: `${prior}, ${config.ddimFastSteps} steps`, points: log.map((r) => [r[0], r[9]]) });
    }
    // The paper's claims in numbers: learned against each baseline at equal steps, and what each
    // prior loses going to the fast schedule.
    const signed = (v) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)} dB`;
    lines.push('');
    for (const base of ['standard', 'priorgrad'])
      if (scores.learned && scores[base])
        lines.push(
          `- learned − ${base}: ${signed(scores.learned.full.psnr - scores[base].full.psnr)} PSNR at ${config.ddimSteps} steps, ${signed(scores.learned.fast.psnr - scores[base].fast.psnr)} at ${config.ddimFastSteps}.`,
        );
    for (const [prior, v] of Object.entries(scores))
      lines.push(`- ${prior}, ${config.ddimSteps} → ${config.ddimFastSteps} steps: ${signed(v.fast.psnr - v.full.psnr)} PSNR.`);
    series.push({
      name: 'input',
      points: [
        [0, input.psnr],
        [Number(o.steps), input.psnr],
      ],
    });
    const png = `${path.basename(o.report, '.md')}-${task}.png`;
    plotLines(
      { title: `${tasks[task].label}: PSNR of the test crops`, xLabel: 'training step', yLabel: 'PSNR (dB)', series },
      path.join(path.dirname(o.report), png),
    );
    lines.push('', `![PSNR against training steps](${png})`, '');
  }
  fs.writeFileSync(o.report, `${lines.join('\n')}\n`);
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`wrote ${o.report}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
