#!/usr/bin/env node
// npm run bench:priors: the prior study on the image tasks. Each prior and variant below is trained
// by rg_train_images for the same steps and batch, on the same patches for a given seed, for every
// seed; the held-out test crops are scored by PSNR (10 and 25 DDIM steps) at every evaluation. The
// report gives each variant's mean over seeds, its paired difference from PriorGrad seed by seed,
// PSNR curves against steps, and pictures of σ (the prior's, from `restore(..., { returnSigma })`).
// Runs live in bench/data/prior-study/TASK/VARIANT-sSEED and a finished one is not run again, so the
// study can grow across sessions (more seeds, steps or variants) and the report be rewritten.
//   usage: node scripts/bench/prior-study.js [--data bench/data/images] [--preset image-tiny]
//          [--steps 1500] [--batch 16] [--eval-every 250] [--crop 64] [--seeds 1,2] [--jobs 1]
//          [--tasks noise,rain] [--variants a,b,...] [--report bench/results/prior-study.md]
//          [--bin build/rg_train_images]   (a copy keeps long runs safe from rebuilds)
//          [--no-train]   (the report from the finished runs alone, each variant with the seeds it has)
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs, promisify } = require('node:util');
const { loadModel, resolveConfig, sideBySide, writeImage } = require('../../dist');
const { sigmaHeatMap } = require('../../dist/cli/sigma-map');
const { cropPack, pictures, pool, tasks } = require('./image-eval');
const { plotLines } = require('./plot');
const { readLog } = require('./run-log');

const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');
const { values: o } = parseArgs({
  options: {
    data: { type: 'string', default: path.join(root, 'bench/data/images') },
    runs: { type: 'string', default: path.join(root, 'bench/data/prior-study') },
    preset: { type: 'string', default: 'image-tiny' },
    steps: { type: 'string', default: '1500' },
    batch: { type: 'string', default: '16' },
    'eval-every': { type: 'string', default: '250' },
    crop: { type: 'string', default: '64' },
    seeds: { type: 'string', default: '1,2' },
    jobs: { type: 'string', default: '1' },
    tasks: { type: 'string', default: 'noise,rain' },
    variants: { type: 'string' },
    report: { type: 'string', default: path.join(root, 'bench/results/prior-study.md') },
    bin: { type: 'string', default: path.join(root, 'build', 'rg_train_images') },
    'no-train': { type: 'boolean', default: false },
  },
});

// ᾱ_T of the image schedule (T = 1000, linear β 1e-4…0.02) is about 4.3e-5: L_LR's optimum
// σ² = lrScale·ᾱ_T·x0² sits on σ's lower bound at lrScale 1; 2e4 moves it to σ ≈ 0.93·|x0|, the
// scale of PriorGrad's local RMS.
const variants = {
  standard: { prior: 'standard' },
  'fixed-sigma': { prior: 'standard', noiseScale: 0.5 },
  priorgrad: { prior: 'priorgrad' },
  learned: { prior: 'learned' },
  'learned-on-priorgrad': { prior: 'learned', priorBase: 'priorgrad' },
  'learned-lr-scale': { prior: 'learned', lrScale: 2e4 },
  'learned-block': { prior: 'learned', sigmaBlock: 8 },
};
const notes = {
  standard: 'N(0, I)',
  'fixed-sigma': 'N(0, 0.5²·I): a constant at PriorGrad’s typical scale',
  priorgrad: 'the handcrafted Σ_y (local RMS of y, floored at 0.1)',
  learned: 'RestoreGrad as in the paper (η = λ = 1)',
  'learned-on-priorgrad': 'learned log σ² as a zero-initialised correction of PriorGrad’s',
  'learned-lr-scale': 'the paper’s prior with L_LR’s reference at 2e4·ᾱ_T',
  'learned-block': 'the paper’s prior, Σ averaged over 8×8 pixel blocks',
};

const trainer = o.bin;
const mean = (xs) => xs.reduce((s, v) => s + v, 0) / xs.length;
const runDir = (task, variant, seed) => path.join(o.runs, task, `${variant}-s${seed}`);
const finished = (dir) => fs.existsSync(path.join(dir, 'weights.safetensors')) && readLog(dir).at(-1)?.step === Number(o.steps);

async function train(r, testDir) {
  fs.mkdirSync(r.dir, { recursive: true });
  fs.writeFileSync(path.join(r.dir, 'config.json'), JSON.stringify(resolveConfig(o.preset, variants[r.variant])));
  const args = [
    ...['--config', path.join(r.dir, 'config.json'), '--threads', '1', '--seed', String(r.seed), '--out', r.dir],
    ...['--train', path.join(o.data, 'train.u8'), '--train-side', '384', ...tasks[r.task].args(o.data)],
    ...['--test-clean', path.join(testDir, 'test-clean.u8'), '--test-degraded', path.join(testDir, `test-${r.task}.u8`)],
    ...['--test-side', o.crop, '--steps', o.steps, '--batch', o.batch, '--eval-every', o['eval-every']],
  ];
  fs.writeFileSync(path.join(r.dir, 'command.txt'), `${new Date().toISOString()} ${[trainer, ...args].join(' ')}\n`);
  await run('nice', ['-n', '5', trainer, ...args], { maxBuffer: 1 << 24 });
  process.stderr.write(`done: ${r.task} ${r.variant} seed ${r.seed}\n`);
}

/** Degraded input, restoration and σ heat map of the first two test pictures (128×128 centre crops), side by side. */
async function sigmaPicture(task, variant, seed, file) {
  const degraded = pictures(cropPack(path.join(o.data, tasks[task].test), 128), 128).slice(0, 2);
  const model = await loadModel(path.join(runDir(task, variant, seed), 'weights.safetensors'), { threads: 1 });
  try {
    const row = [];
    for (const im of degraded) {
      const { restored, sigma } = await model.restore(im, { steps: model.config.ddimFastSteps, seed: 0, returnSigma: true });
      row.push(im, restored, sigmaHeatMap(sigma, im.width, im.height, 3));
    }
    await writeImage(file, sideBySide(row, { gap: 4 }));
  } finally {
    await model.dispose();
  }
}

async function main() {
  if (!fs.existsSync(trainer)) throw new Error(`${trainer} is missing: build with \`npm run compile\``);
  if (!fs.existsSync(path.join(o.data, 'train.u8')))
    throw new Error(
      `no packed photos in ${o.data}: bash scripts/prepare-data.sh --only images DIR && node scripts/bench/pack-images.js DIR ${o.data}`,
    );
  const allNames = o.variants ? o.variants.split(',') : Object.keys(variants);
  for (const n of allNames) if (!variants[n]) throw new Error(`unknown variant '${n}'; variants: ${Object.keys(variants).join(', ')}`);
  const seeds = o.seeds.split(',').map(Number);
  const taskNames = o.tasks.split(',');
  const testDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-prior-study-'));
  fs.writeFileSync(path.join(testDir, 'test-clean.u8'), cropPack(path.join(o.data, 'test-clean.u8'), Number(o.crop)));
  for (const task of taskNames)
    fs.writeFileSync(path.join(testDir, `test-${task}.u8`), cropPack(path.join(o.data, tasks[task].test), Number(o.crop)));
  // Seed by seed, so that a study cut short has whole seeds.
  const todo = seeds.flatMap((seed) =>
    taskNames.flatMap((task) => allNames.map((variant) => ({ task, variant, seed, dir: runDir(task, variant, seed) }))),
  );
  const started = Date.now();
  await pool(
    todo.filter((r) => !finished(r.dir) && !o['no-train']),
    Number(o.jobs),
    (r) => train(r, testDir),
  );
  fs.rmSync(testDir, { recursive: true, force: true });
  const config = resolveConfig(o.preset);
  const fast = config.ddimFastSteps;
  const full = config.ddimSteps;
  const lines = [
    '# The prior study: every prior and variant at equal steps, on image noise and rain',
    '',
    `Command: \`node scripts/bench/prior-study.js ${process.argv.slice(2).join(' ')}\` (this call trained for ${((Date.now() - started) / 60000).toFixed(1)} min; finished runs are reused).`,
    `Machine: ${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; date ${new Date().toISOString().slice(0, 10)}; one thread a run.`,
    `Preset \`${o.preset}\` (target \`${config.imageTarget}\`), ${o.steps} steps of batch ${o.batch}; seeds ${seeds.join(', ')} (a seed fixes the initialisation and the patches, the same for every variant).`,
    `Test set: the held-out photos of the corpus, centre ${o.crop}×${o.crop} crops, PSNR (RGB) by rg_train_images at every evaluation, sampling seed 0.`,
    '',
    '| variant | what it is |',
    '|---|---|',
    ...allNames.map((n) => `| ${n} | ${notes[n]}: \`${JSON.stringify(variants[n])}\` |`),
    '',
  ];
  for (const task of taskNames) {
    // Each variant with the seeds it has finished; differences pair the seeds both variants have.
    const done = Object.fromEntries(allNames.map((n) => [n, seeds.filter((seed) => finished(runDir(task, n, seed)))]));
    const names = allNames.filter((n) => done[n].length > 0);
    if (!names.length) continue;
    const logs = Object.fromEntries(names.map((n) => [n, done[n].map((seed) => readLog(runDir(task, n, seed)))]));
    const final = (n, seed, key) => logs[n][done[n].indexOf(seed)].at(-1)[key];
    const last = (n, key) => done[n].map((seed) => final(n, seed, key));
    const input = logs[names[0]][0][0].psnr_input;
    lines.push(
      `## ${tasks[task].label}`,
      '',
      `Input: ${input.toFixed(2)} dB PSNR. Each cell: the mean over the seeds finished (each seed's value, in seed order). Δ: the paired difference from PriorGrad, over the seeds both have.`,
      '',
      `| variant | seeds | PSNR ${fast} steps | PSNR ${full} steps | Δ PriorGrad, ${fast} steps | σ prior (training mean) |`,
      '|---|---|---|---|---|---|',
    );
    const cell = (xs) => `${mean(xs).toFixed(2)} (${xs.map((x) => x.toFixed(2)).join(', ')})`;
    for (const n of names) {
      const paired = (done.priorgrad ?? []).filter((seed) => done[n].includes(seed));
      const diff = paired.map((seed) => final(n, seed, 'psnr_fast') - final('priorgrad', seed, 'psnr_fast'));
      lines.push(
        `| ${n} | ${done[n].join(', ')} | ${cell(last(n, 'psnr_fast'))} | ${cell(last(n, 'psnr_full'))} | ${diff.length ? cell(diff) : '–'} | ${mean(last(n, 'sigma_prior')).toFixed(3)} |`,
      );
    }
    const series = names.map((n) => ({
      name: n,
      points: logs[n][0].map((row, k) => [row.step, mean(logs[n].map((l) => l[k]?.psnr_fast ?? Number.NaN))]),
    }));
    series.push({
      name: 'input',
      points: [
        [0, input],
        [Number(o.steps), input],
      ],
    });
    const png = `${path.basename(o.report, '.md')}-${task}.png`;
    plotLines(
      { title: `${tasks[task].label}: PSNR (${fast} steps), mean over seeds`, xLabel: 'training step', yLabel: 'PSNR (dB)', series },
      path.join(path.dirname(o.report), png),
    );
    lines.push(
      '',
      `![PSNR against training steps](${png})`,
      '',
      `σ of each prior on two test pictures (each with its first seed): degraded, restored (${fast} steps), σ as a heat map (viridis, each map scaled to its own range: dark low, yellow high; a constant σ is all dark).`,
      '',
    );
    for (const n of names) {
      const file = `${path.basename(o.report, '.md')}-${task}-sigma-${n}.png`;
      await sigmaPicture(task, n, done[n][0], path.join(path.dirname(o.report), file));
      lines.push(`${n}:`, '', `![σ of ${n}](${file})`, '');
    }
  }
  fs.writeFileSync(o.report, `${lines.join('\n')}\n`);
  console.log(`wrote ${o.report}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
