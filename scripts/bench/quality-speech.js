#!/usr/bin/env node
// npm run bench:quality: the paper's speech claims checked on real recordings. Trains one model per
// run (the three priors, a standard prior with a fixed noise scale as a control, and learned priors
// with other η and λ) for the same steps, data and seed with rg_train on a packed corpus
// (scripts/bench/pack-corpus.js); every --eval-every steps each restores the test mixtures with the
// 6- and 3-step schedules (SI-SDR in its log, STOI and ESTOI scored here from the restorations it
// keeps). At the end the last EMA weights restore the test set through the library's API with the
// full 50-step, 6- and 3-step schedules, beside the noisy input and a Wiener filter.
// Writes REPORT (markdown) and PNG plots of SI-SDR and STOI against training steps beside it.
// Runs whose folder in --work already holds a finished log are not trained again.
//   usage: node scripts/bench/quality-speech.js [--pack bench/data/pack] [--preset speech-small]
//          [--steps 1200] [--batch 4] [--crop 8192] [--lr 4e-4] [--eval-every 200] [--tests 16]
//          [--test-seconds 3] [--seed 1] [--jobs 2] [--runs NAME,...] [--work bench/data/quality-speech]
//          [--report bench/results/quality-speech.md] [--precision float32|bfloat16]
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs, promisify } = require('node:util');
const { loadModel, resolveConfig } = require('../../dist');
const { wienerEnhance } = require('../../dist/audio/wiener');
const { estoi, meanScores, score, stoi } = require('../../dist/metrics');
const { plotLines } = require('./plot');
const { readLog } = require('./run-log');

const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');
const RATE = 16000;
const { values: o } = parseArgs({
  options: {
    pack: { type: 'string', default: path.join(root, 'bench/data/pack') },
    preset: { type: 'string', default: 'speech-small' },
    steps: { type: 'string', default: '1200' },
    batch: { type: 'string', default: '4' },
    crop: { type: 'string', default: '8192' },
    lr: { type: 'string', default: '4e-4' },
    'eval-every': { type: 'string', default: '200' },
    tests: { type: 'string', default: '16' },
    'test-seconds': { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    precision: { type: 'string', default: 'float32' },
    jobs: { type: 'string', default: String(Math.max(1, os.availableParallelism())) },
    runs: { type: 'string' },
    work: { type: 'string', default: path.join(root, 'bench/data/quality-speech') },
    report: { type: 'string', default: path.join(root, 'bench/results/quality-speech.md') },
  },
});

// Each run: a label and its config overrides. σ = 0.067 ≈ √ᾱ_T × the mixtures' RMS of 0.1: the
// scale the learned prior settles at, without its shape.
const allRuns = {
  standard: { label: 'standard', overrides: { prior: 'standard' } },
  priorgrad: { label: 'PriorGrad', overrides: { prior: 'priorgrad' } },
  learned: { label: 'learned η=1 λ=1', overrides: { prior: 'learned', eta: 1, lambda: 1 } },
  control: { label: 'standard, fixed σ=0.067', overrides: { prior: 'standard', noiseScale: 0.067 } },
  'eta0.1': { label: 'learned η=0.1 λ=1', overrides: { prior: 'learned', eta: 0.1, lambda: 1 } },
  eta10: { label: 'learned η=10 λ=1', overrides: { prior: 'learned', eta: 10, lambda: 1 } },
  'lambda0.1': { label: 'learned η=1 λ=0.1', overrides: { prior: 'learned', eta: 1, lambda: 0.1 } },
  lambda10: { label: 'learned η=1 λ=10', overrides: { prior: 'learned', eta: 1, lambda: 10 } },
  'eta10-lambda10': { label: 'learned η=10 λ=10', overrides: { prior: 'learned', eta: 10, lambda: 10 } },
};
const runNames = o.runs ? o.runs.split(',') : Object.keys(allRuns);
for (const name of runNames) if (!allRuns[name]) throw new Error(`unknown run '${name}'`);

const pcm = (file) => {
  const b = fs.readFileSync(file);
  return Float32Array.from({ length: b.length / 2 }, (_, i) => b.readInt16LE(2 * i) / 32768);
};
const toPcm = (signals) => {
  const n = signals.reduce((s, x) => s + x.length, 0);
  const buf = Buffer.alloc(2 * n);
  let at = 0;
  for (const x of signals) for (const v of x) buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32768))), 2 * at++);
  return buf;
};
const split = (x, lengths) => {
  const parts = [];
  for (let at = 0, i = 0; i < lengths.length; at += lengths[i++]) parts.push(x.subarray(at, at + lengths[i]));
  return parts;
};

// The first --tests mixtures of the pack, each cut to --test-seconds: what every evaluation scores.
function testSubset(work) {
  const lengths = fs.readFileSync(path.join(o.pack, 'test-lengths.txt'), 'utf8').trim().split('\n').map(Number);
  const count = Math.min(Number(o.tests), lengths.length);
  const keep = Math.round(Number(o['test-seconds']) * RATE);
  const cut = (file) =>
    split(pcm(path.join(o.pack, file)), lengths)
      .slice(0, count)
      .map((x) => x.subarray(0, keep));
  const set = { clean: cut('test-clean.i16'), noisy: cut('test-noisy.i16') };
  set.lengths = set.clean.map((x) => x.length);
  fs.writeFileSync(path.join(work, 'test-clean.i16'), toPcm(set.clean));
  fs.writeFileSync(path.join(work, 'test-noisy.i16'), toPcm(set.noisy));
  fs.writeFileSync(path.join(work, 'test-lengths.txt'), `${set.lengths.join('\n')}\n`);
  return set;
}

async function pool(items, jobs, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(jobs, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function train(name, work) {
  const dir = path.join(work, name);
  const log = readLog(dir);
  if (log.length && log[log.length - 1].step === Number(o.steps) && fs.existsSync(path.join(dir, 'restored3.i16'))) {
    process.stderr.write(`kept: ${name}\n`);
    return;
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(resolveConfig(o.preset, allRuns[name].overrides)));
  const args = [
    ...['--config', path.join(dir, 'config.json'), '--threads', '1', '--seed', o.seed, '--out', dir, '--keep-restored', '1'],
    ...['--speech', path.join(o.pack, 'speech.i16'), '--noise', path.join(o.pack, 'noise.i16')],
    ...['--test-clean', path.join(work, 'test-clean.i16'), '--test-noisy', path.join(work, 'test-noisy.i16')],
    ...['--test-lengths', path.join(work, 'test-lengths.txt'), '--steps', o.steps, '--batch', o.batch],
    ...['--crop', o.crop, '--lr', o.lr, '--eval-every', o['eval-every']],
  ];
  const started = Date.now();
  await run(path.join(root, 'build', 'rg_train'), args, { maxBuffer: 1 << 24 });
  process.stderr.write(`trained: ${name} (${((Date.now() - started) / 60000).toFixed(1)} min)\n`);
}

// STOI of the 6-step restorations kept at each evaluation.
function stoiCurve(dir, set) {
  return readLog(dir).map((row) => {
    const restored = split(pcm(path.join(dir, `restored6-${row.step}.i16`)), set.lengths);
    const mean = (f) => restored.reduce((s, x, i) => s + f(set.clean[i], x, RATE), 0) / restored.length;
    return { step: row.step, siSdr6: row.si_sdr6, siSdr3: row.si_sdr3, stoi6: mean(stoi), estoi6: mean(estoi), sigma: row.sigma_prior };
  });
}

async function finalScores(dir, set) {
  const model = await loadModel(path.join(dir, 'weights.safetensors'), { threads: Number(o.jobs) });
  try {
    const out = {};
    for (const steps of [model.config.trainSteps, 6, 3]) {
      const restored = await model.restore(set.noisy, { steps, seed: 0, precision: o.precision });
      const clips = restored.map((x, i) => score(set.clean[i], x, RATE));
      out[steps] = { ...meanScores(clips), clips };
    }
    return out;
  } finally {
    await model.dispose();
  }
}

const f2 = (v) => v.toFixed(2);
const f3 = (v) => v.toFixed(3);
const signed = (v, unit = ' dB', digits = 2) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}${unit}`;

// The first evaluation at which `curve` reaches `target` in `key`, or null.
const reach = (curve, key, target) => curve.find((p) => p[key] >= target)?.step ?? null;

async function main() {
  if (!fs.existsSync(path.join(root, 'build', 'rg_train'))) throw new Error('build/rg_train is missing: build with `npm run compile`');
  if (!fs.existsSync(path.join(o.pack, 'speech.i16')))
    throw new Error(`no packed corpus in ${o.pack}: bash scripts/prepare-data.sh DIR && node scripts/bench/pack-corpus.js DIR ${o.pack}`);
  fs.mkdirSync(o.work, { recursive: true });
  const set = testSubset(o.work);
  const started = Date.now();
  await pool(runNames, Number(o.jobs), (name) => train(name, o.work));
  const minutes = (Date.now() - started) / 60000;

  const curves = {};
  const finals = {};
  for (const name of runNames) {
    const dir = path.join(o.work, name);
    curves[name] = stoiCurve(dir, set);
    finals[name] = await finalScores(dir, set);
    process.stderr.write(`scored: ${name}\n`);
  }
  const input = meanScores(set.noisy.map((x, i) => score(set.clean[i], x, RATE)));
  const wiener = meanScores(set.noisy.map((x, i) => score(set.clean[i], wienerEnhance(x), RATE)));
  const config = resolveConfig(o.preset);
  const full = config.trainSteps;

  const row = (label, s) => `| ${label} | ${f2(s.siSdr)} | ${f2(s.segSnr)} | ${f3(s.stoi)} | ${f3(s.estoi)} |`;
  const lines = [
    '# Speech enhancement: the priors at equal training steps, on real recordings',
    '',
    `Command: \`npm run bench:quality${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\``,
    `Machine: ${os.cpus().length} × ${os.cpus()[0].model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; date ${new Date().toISOString().slice(0, 10)}; training took ${minutes.toFixed(1)} min (${o.jobs} runs at a time, 1 thread each${minutes < 1 ? '; runs kept from an earlier invocation' : ''}).`,
    `Preset \`${o.preset}\`, ${o.steps} steps of ${o.batch} crops × ${o.crop} samples, Adam ${o.lr}, seed ${o.seed}, the same mixtures for every run (rg_train: speech of the pack's training voices mixed with its training noise at 0–15 dB, RMS 0.1). EMA weights restore, in ${o.precision} for the final scores.`,
    `Test set: the first ${set.clean.length} test mixtures of the pack, each cut to ${o['test-seconds']} s (voices and noise recordings that training never saw).`,
    '',
    `## Last step (${o.steps}): the test set restored with ${full}, 6 and 3 sampling steps`,
    '',
    '| | SI-SDR (dB) | segSNR (dB) | STOI | ESTOI |',
    '|---|---|---|---|---|',
    row('noisy input', input),
    row('Wiener filter (decision-directed, minimum statistics)', wiener),
  ];
  for (const name of runNames)
    for (const steps of [full, 6, 3]) lines.push(row(`${allRuns[name].label}, ${steps} steps`, finals[name][steps]));

  lines.push('', '## SI-SDR (dB, 6 / 3 sampling steps) and STOI (6 steps) by training step', '');
  lines.push(`| step | ${runNames.map((n) => allRuns[n].label).join(' | ')} |`, `|---|${runNames.map(() => '---|').join('')}`);
  for (let i = 0; i < curves[runNames[0]].length; i++)
    lines.push(
      `| ${curves[runNames[0]][i].step} | ${runNames
        .map((n) => curves[n][i])
        .map((p) => (p ? `${f2(p.siSdr6)} / ${f2(p.siSdr3)}, ${f3(p.stoi6)}` : '–'))
        .join(' | ')} |`,
    );

  // The claims in numbers.
  const base = curves.standard?.[curves.standard.length - 1];
  lines.push('', '## The claims, measured', '');
  if (base) {
    lines.push(
      `Standard prior at its last step: SI-SDR ${f2(base.siSdr6)} dB and STOI ${f3(base.stoi6)} (6 steps). First evaluation at which each run reaches them (evaluations every ${o['eval-every']} steps):`,
      '',
    );
    for (const name of runNames) {
      const s = reach(curves[name], 'siSdr6', base.siSdr6);
      const t = reach(curves[name], 'stoi6', base.stoi6);
      lines.push(
        `- ${allRuns[name].label}: SI-SDR at ${s ?? 'never'}, STOI at ${t ?? 'never'}${s ? ` (${(Number(o.steps) / s).toFixed(1)}× fewer steps for SI-SDR)` : ''}.`,
      );
    }
    lines.push('');
  }
  lines.push('From 6 to 3 sampling steps, at the last step:', '');
  for (const name of runNames) {
    const [a, b] = [finals[name][6], finals[name][3]];
    lines.push(`- ${allRuns[name].label}: ${signed(b.siSdr - a.siSdr)} SI-SDR, ${signed(b.stoi - a.stoi, '', 3)} STOI.`);
  }
  if (finals.learned && finals.standard) {
    lines.push('', 'At equal training steps (the last), learned − standard:', '');
    for (const steps of [full, 6, 3])
      lines.push(
        `- ${steps} steps: ${signed(finals.learned[steps].siSdr - finals.standard[steps].siSdr)} SI-SDR, ${signed(finals.learned[steps].stoi - finals.standard[steps].stoi, '', 3)} STOI.`,
      );
  }
  if (finals.learned) {
    lines.push(
      '',
      `Paired by clip, each run − learned η=1 λ=1 at 6 steps (SI-SDR: mean ± standard error over the ${set.clean.length} clips; clips where the run is better):`,
      '',
    );
    for (const name of runNames.filter((n) => n !== 'learned')) {
      const d = finals[name][6].clips.map((c, i) => c.siSdr - finals.learned[6].clips[i].siSdr);
      const mean = d.reduce((s, v) => s + v, 0) / d.length;
      const se = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (d.length - 1) / d.length);
      lines.push(`- ${allRuns[name].label}: ${signed(mean)} ± ${f2(se)} dB, better on ${d.filter((v) => v > 0).length} of ${d.length}.`);
    }
  }
  lines.push('', `Against the noisy input (SI-SDR ${f2(input.siSdr)} dB, STOI ${f3(input.stoi)}), at 6 steps:`, '');
  for (const name of runNames)
    lines.push(
      `- ${allRuns[name].label}: ${signed(finals[name][6].siSdr - input.siSdr)} SI-SDR, ${signed(finals[name][6].stoi - input.stoi, '', 3)} STOI.`,
    );

  const base_ = path.basename(o.report, '.md');
  for (const [key, label, file] of [
    ['siSdr6', 'SI-SDR (dB), 6 sampling steps', `${base_}-sisdr.png`],
    ['stoi6', 'STOI, 6 sampling steps', `${base_}-stoi.png`],
  ]) {
    const series = runNames.map((n) => ({ name: allRuns[n].label, points: curves[n].map((p) => [p.step, p[key]]) }));
    const level = key === 'stoi6' ? input.stoi : input.siSdr;
    series.push({
      name: 'noisy input',
      points: [
        [0, level],
        [Number(o.steps), level],
      ],
    });
    plotLines(
      { title: `Test mixtures: ${label}`, xLabel: 'training step', yLabel: label, series },
      path.join(path.dirname(o.report), file),
    );
    lines.push('', `![${label} against training steps](${file})`);
  }
  fs.writeFileSync(o.report, `${lines.join('\n')}\n`);
  console.log(`wrote ${o.report}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
