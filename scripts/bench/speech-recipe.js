#!/usr/bin/env node
// The speech recipe's runs: each a config over a preset and rg_train's data options, trained in
// bench/data/runs/NAME on one thread at low priority, resumable across sessions. `run` trains for
// at most --minutes (or until --steps) and can be called again: it resumes from the run's own
// checkpoint (rg_train --resume 1) with its clocks and log continued. `list` prints the runs.
// `report` scores the restorations each evaluation kept (STOI, ESTOI beside the log's SI-SDR) and
// writes bench/results/speech-recipe-runs.md with PNG curves against CPU-minutes beside it.
// The data: the corpus of scripts/prepare-data.sh (recipe 2: 57 training speakers), packed with all its
// training speech, an hour of its training noise and its first 50 test mixtures:
//   bash scripts/prepare-data.sh --only speech bench/data/corpus2
//   node scripts/bench/pack-corpus.js bench/data/corpus2 bench/data/pack2 400 60 50
//   usage: node scripts/bench/speech-recipe.js run NAME [--minutes 150] [--steps 100000] [--pack bench/data/pack2]
//          [--bin build/rg_train] [--nice 5]
//          node scripts/bench/speech-recipe.js list | report [--runs-only NAME,...]
//          node scripts/bench/speech-recipe.js blend NAME [--step S]   (the output blend with y, swept)
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { resolveConfig } = require('../../dist');
const { readLog } = require('./run-log');

const root = path.join(__dirname, '..', '..');
const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    minutes: { type: 'string', default: '150' },
    nice: { type: 'string', default: '5' },
    steps: { type: 'string', default: '100000' },
    pack: { type: 'string', default: path.join(root, 'bench/data/pack2') },
    runs: { type: 'string', default: path.join(root, 'bench/data/runs') },
    bin: { type: 'string', default: path.join(root, 'build/rg_train') },
    'runs-only': { type: 'string' },
    step: { type: 'string' },
    out: { type: 'string', default: path.join(root, 'bench/results/speech-recipe-runs.md') },
  },
});

// 12 layers × 32 channels with dilations 1…2048 once: a receptive field of 8,191 samples (0.51 s)
// against 16 ms for speech-small's two cycles of 1…32.
const wide = { dilationCycle: 12 };
// σ = 0.067 ≈ √ᾱ_T × the mixtures' RMS of 0.1: the scale the learned prior settles at.
const fixedSigma = { prior: 'standard', noiseScale: 0.067 };
const data = { batch: 8, crop: 8192, lr: 4e-4, snrMin: -5, snrMax: 20, evalEvery: 400, seed: 1 };

/** Each run: preset, config overrides and data options. */
const runs = {
  'wide-learned': { preset: 'speech-small', overrides: { ...wide, prior: 'learned' }, data },
  'wide-fixed-sigma': { preset: 'speech-small', overrides: { ...wide, ...fixedSigma }, data },
  // The ceiling: the same network mapping y to x0 in one pass, no diffusion.
  'wide-regression': { preset: 'speech-small', overrides: { ...wide, prior: 'standard', speechObjective: 'regression' }, data },
  // The learned prior's variants on rung 1's recipe (the prior study's speech part): Σ per frame of
  // 256 samples rather than per sample, and learned as a correction of PriorGrad's map.
  'wide-learned-frame': { preset: 'speech-small', overrides: { ...wide, prior: 'learned', sigmaBlock: 256 }, data },
  'wide-learned-on-priorgrad': { preset: 'speech-small', overrides: { ...wide, prior: 'learned', priorBase: 'priorgrad' }, data },
  // Rung 3, on the fixed-σ control (the faster diffusion run of rung 1): the targets beside ε.
  'wide-x0': { preset: 'speech-small', overrides: { ...wide, ...fixedSigma, speechTarget: 'x0' }, data },
  'wide-v': { preset: 'speech-small', overrides: { ...wide, ...fixedSigma, speechTarget: 'v' }, data },
  // Rung 4: speech-small's own 16 ms field.
  'narrow-fixed-sigma': { preset: 'speech-small', overrides: fixedSigma, data },
  // Rung 5: DOSE's noisy-waveform channel with condition dropout, on the x0 target it was made for.
  'wide-x0-noisy': {
    preset: 'speech-small',
    overrides: { ...wide, ...fixedSigma, speechTarget: 'x0', noisyInput: true, condDropout: 0.5 },
    data,
  },
};

function trainArgs(name, dir) {
  const run = runs[name];
  const d = run.data;
  const resume = fs.existsSync(path.join(dir, 'model.safetensors'));
  if (!resume && !fs.existsSync(path.join(dir, 'config.json'))) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(resolveConfig(run.preset, run.overrides), null, 1));
  }
  const pack = (f) => path.join(o.pack, f);
  return [
    ...['--config', path.join(dir, 'config.json'), '--out', dir, '--threads', '1', '--seed', String(d.seed)],
    ...['--resume', resume ? '1' : '0', '--steps', o.steps, '--max-seconds', String(Number(o.minutes) * 60)],
    ...['--batch', String(d.batch), '--crop', String(d.crop), '--lr', String(d.lr), '--eval-every', String(d.evalEvery)],
    ...['--snr-min', String(d.snrMin), '--snr-max', String(d.snrMax), '--keep-restored', '1'],
    ...['--eval-fast3', d.evalFast3 === false ? '0' : '1'],
    ...['--speech', pack('speech.i16'), '--noise', pack('noise.i16'), '--test-clean', pack('test-clean.i16')],
    ...['--test-noisy', pack('test-noisy.i16'), '--test-lengths', pack('test-lengths.txt')],
  ];
}

function train(name) {
  if (!runs[name]) throw new Error(`unknown run '${name}'; runs: ${Object.keys(runs).join(', ')}`);
  const dir = path.join(o.runs, name);
  const args = trainArgs(name, dir);
  const line = `nice -n ${o.nice} ${path.relative(root, o.bin)} ${args.map((a) => path.relative(root, a) || a).join(' ')}`;
  fs.appendFileSync(path.join(dir, 'commands.txt'), `${new Date().toISOString()} ${line}\n`);
  const child = spawn('nice', ['-n', o.nice, o.bin, ...args], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 1));
}

const pcm = (file) => {
  const b = fs.readFileSync(file);
  return Float32Array.from({ length: b.length / 2 }, (_, i) => b.readInt16LE(2 * i) / 32768);
};

function testSet() {
  const lengths = fs.readFileSync(path.join(o.pack, 'test-lengths.txt'), 'utf8').trim().split('\n').map(Number);
  const starts = lengths.map((_, i) => lengths.slice(0, i).reduce((a, b) => a + b, 0));
  const cut = (x) => lengths.map((n, i) => x.subarray(starts[i], starts[i] + n));
  return { lengths, cut, clean: cut(pcm(path.join(o.pack, 'test-clean.i16'))), noisy: cut(pcm(path.join(o.pack, 'test-noisy.i16'))) };
}

function report() {
  const { estoi, stoi, siSdr } = require('../../dist/metrics');
  const { plotLines } = require('./plot');
  const set = testSet();
  const mean = (f, signals) => signals.reduce((a, x, i) => a + f(set.clean[i], x, 16000), 0) / signals.length;
  const input = { siSdr: mean(siSdr, set.noisy), stoi: mean(stoi, set.noisy), estoi: mean(estoi, set.noisy) };
  const names = o['runs-only']
    ? o['runs-only'].split(',')
    : Object.keys(runs).filter((n) => fs.existsSync(path.join(o.runs, n, 'log.csv')));
  const curves = {};
  for (const name of names) {
    const dir = path.join(o.runs, name);
    curves[name] = readLog(dir).map((row) => {
      const file = path.join(dir, `restored6-${row.step}.i16`);
      const kept = fs.existsSync(file) ? set.cut(pcm(file)) : null;
      return { ...row, cpuMin: row.cpu_seconds / 60, stoi6: kept ? mean(stoi, kept) : NaN, estoi6: kept ? mean(estoi, kept) : NaN };
    });
  }
  const base = path.join(path.dirname(o.out), path.basename(o.out, '.md'));
  for (const [key, label, file] of [
    ['si_sdr6', 'SI-SDR (dB), 6 steps', 'sisdr'],
    ['stoi6', 'STOI, 6 steps', 'stoi'],
  ]) {
    const series = names.map((n) => ({ name: n, points: curves[n].map((r) => [r.cpuMin, r[key]]) }));
    const flat = key === 'si_sdr6' ? input.siSdr : input.stoi;
    const xMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
    series.push({
      name: 'noisy input',
      points: [
        [0, flat],
        [xMax, flat],
      ],
    });
    plotLines(
      { title: `${label} on ${set.lengths.length} test mixtures`, xLabel: 'CPU-minutes of training', yLabel: label, series },
      `${base}-${file}.png`,
    );
  }
  const f = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '–');
  const lines = [
    '# Speech recipe: runs against CPU time',
    '',
    `Written by \`node scripts/bench/speech-recipe.js report\` on ${new Date().toISOString().slice(0, 10)}; each run's`,
    'commands (with dates) are in `bench/data/runs/NAME/commands.txt`, its config in `config.json` there.',
    `Test set: the first ${set.lengths.length} of the corpus's test mixtures (unseen voices and noise), scored at 6 sampling steps`,
    "by rg_train at each evaluation (EMA weights, seed 0). CPU-minutes are the training process's CPU time, evaluations included.",
    '',
    `Noisy input: SI-SDR ${f(input.siSdr)} dB, STOI ${f(input.stoi, 3)}, ESTOI ${f(input.estoi, 3)}.`,
    '',
    `![SI-SDR](${path.basename(base)}-sisdr.png)`,
    `![STOI](${path.basename(base)}-stoi.png)`,
    '',
  ];
  for (const name of names) {
    lines.push(
      `## ${name}`,
      '',
      `\`${JSON.stringify(runs[name])}\``,
      '',
      '| step | CPU-min | SI-SDR 6 | SI-SDR 3 | STOI 6 | ESTOI 6 | σ prior |',
      '|---|---|---|---|---|---|---|',
    );
    for (const r of curves[name])
      lines.push(
        `| ${r.step} | ${f(r.cpuMin, 1)} | ${f(r.si_sdr6)} | ${f(r.si_sdr3)} | ${f(r.stoi6, 3)} | ${f(r.estoi6, 3)} | ${f(r.sigma_prior, 4)} |`,
      );
    lines.push('');
  }
  fs.writeFileSync(o.out, `${lines.join('\n')}\n`);
  console.log(`wrote ${o.out}`);
}

/**
 * The output blend b·y + (1 − b)·x̂ swept over b on a run's kept restorations: the sampler's last
 * step is linear in its blend, so x̂ = (r − b₀·y)/(1 − b₀) recovers the estimate from the kept
 * output r at the config's b₀ (the 16-bit file and the bound aside), and each b costs no sampling.
 */
function blend(name) {
  const { stoi, siSdr } = require('../../dist/metrics');
  const dir = path.join(o.runs, name);
  const step = o.step ?? readLog(dir).at(-1).step;
  const b0 = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).outputBlend;
  const set = testSet();
  const kept = set.cut(pcm(path.join(dir, `restored6-${step}.i16`)));
  const estimates = kept.map((r, i) => r.map((v, t) => (v - b0 * set.noisy[i][t]) / (1 - b0)));
  const mean = (f, signals) => signals.reduce((a, x, i) => a + f(set.clean[i], x, 16000), 0) / signals.length;
  console.log(
    `${name}, step ${step}, kept at blend ${b0}; noisy input: SI-SDR ${mean(siSdr, set.noisy).toFixed(2)} dB, STOI ${mean(stoi, set.noisy).toFixed(3)}`,
  );
  console.log('| blend | SI-SDR | STOI |\n|---|---|---|');
  for (const b of [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) {
    const out = estimates.map((x, i) => x.map((v, t) => (1 - b) * v + b * set.noisy[i][t]));
    console.log(`| ${b.toFixed(1)} | ${mean(siSdr, out).toFixed(2)} | ${mean(stoi, out).toFixed(3)} |`);
  }
}

const [command, name] = positionals;
if (command === 'run') train(name);
else if (command === 'report') report();
else if (command === 'blend') blend(name);
else if (command === 'list') for (const [n, r] of Object.entries(runs)) console.log(n, JSON.stringify(r));
else {
  console.error('usage: node scripts/bench/speech-recipe.js run NAME [--minutes M] [--steps N] | list | report | blend NAME');
  process.exit(2);
}
