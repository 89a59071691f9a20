#!/usr/bin/env node
// Soak test: thousands of short restorations through one `speech-tiny` model (and, where the build
// has it, a RestorePool), with aborts and bad inputs mixed in. Every call must end as its case
// says; process memory is sampled as it goes, and the run fails when RSS keeps growing after the
// warm-up (least-squares slope above --max-slope-kb per 1000 calls).
//
// Usage: node --expose-gc scripts/soak.js [--restores N] [--short] [--concurrency K] [--threads T]
//          [--max-slope-kb KB] [--warmup FRACTION] [--phases model,pool] [--out DIR] [--simulate-leak-kb KB]
//   --restores N      calls per phase (default 20000; --short: 8000, enough for one model's RSS to
//                     settle; a pool's swings by tens of MB over thousands of calls as its
//                     workers' heaps grow and are collected, and needs 20000 or more)
//   --concurrency K   calls in flight at once (default 4)
//   --threads T       intra-op threads of the model, and per pool worker (default 1)
//   --max-slope-kb    failure threshold, KB of RSS per 1000 calls after the warm-up (default 2048;
//                     keeping the input and output of each call, about 3 KB on average, exceeds
//                     it; over runs of these lengths, RSS noise stays below it)
//   --warmup          leading share of each phase left out of the slope (default 0.5)
//   --phases          which to run: model (one Model), pool (a RestorePool of 2 workers); default both
//   --out DIR         also write DIR/soak.json (samples and summary) and DIR/soak.png (the curves)
//   --simulate-leak-kb  keep KB of memory per call (checks that the criterion catches a leak)
// Needs `npm run compile:ts` (reads dist/) and the built addon.
const path = require('node:path');
const fs = require('node:fs');
const { parseArgs } = require('node:util');
const api = require('../dist');
const { plotLines } = require('./bench/plot');
const { leastSquares } = require('./bench/slope');

const { values: args } = parseArgs({
  options: {
    restores: { type: 'string' },
    short: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '4' },
    threads: { type: 'string', default: '1' },
    'max-slope-kb': { type: 'string', default: '2048' },
    warmup: { type: 'string', default: '0.5' },
    phases: { type: 'string', default: 'model,pool' },
    out: { type: 'string' },
    'simulate-leak-kb': { type: 'string', default: '0' },
  },
});
const positive = (name, value) => {
  const n = Number(value);
  if (!(n > 0)) throw new Error(`--${name} must be a positive number, got ${value}`);
  return n;
};
const restores = Math.round(positive('restores', args.restores ?? (args.short ? 8000 : 20000)));
const concurrency = Math.round(positive('concurrency', args.concurrency));
const threads = Math.round(positive('threads', args.threads));
const maxSlopeBytes = positive('max-slope-kb', args['max-slope-kb']) * 1024;
const warmup = Number(args.warmup);
if (!(warmup >= 0 && warmup < 1)) throw new Error(`--warmup must be in [0, 1), got ${args.warmup}`);
const samplesPerPhase = 60;
/** A call still pending after this long counts as wrong: a hung promise is a failure too. */
const CALL_TIMEOUT_MS = 60_000;
const simulatedLeakBytes = Math.round(Number(args['simulate-leak-kb']) * 1024);
const kept = [];

const gc = typeof global.gc === 'function' ? global.gc : () => undefined;
const MB = 1024 * 1024;

// --- cases ---------------------------------------------------------------------------------------

/** A small deterministic generator, so that every run makes the same inputs. */
function random(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const HOP = api.presets['speech-tiny'].hop;
const LENGTHS = [4 * HOP, 8 * HOP, 16 * HOP];
const WRONG_TYPES = [
  () => new Float64Array(8 * HOP),
  () => Array.from({ length: 8 * HOP }, () => 0),
  () => null,
  () => 'audio',
  () => ({}),
];

function signal(rand, length) {
  const x = new Float32Array(length);
  for (let i = 0; i < length; i++) x[i] = 0.5 * Math.sin(i * 0.05) + 0.2 * (rand() - 0.5);
  return x;
}

/**
 * Call i's case: what goes in and what must come out. `expect` is 'ok' (restored signals of the
 * input lengths), an error code, or 'ok|E_ABORTED' for an abort that races the call.
 */
function makeCase(i, rand) {
  const length = LENGTHS[i % LENGTHS.length];
  switch (i % 20) {
    case 14: {
      const controller = new AbortController();
      controller.abort();
      return { kind: 'aborted before', input: signal(rand, length), options: { signal: controller.signal }, expect: 'E_ABORTED' };
    }
    case 15: {
      // Half abort while the call waits or starts, half a few milliseconds in (mostly finished).
      const controller = new AbortController();
      if (Math.floor(i / 20) % 2) setTimeout(() => controller.abort(), 4);
      else setImmediate(() => controller.abort());
      return { kind: 'aborted during', input: signal(rand, 16 * HOP), options: { signal: controller.signal }, expect: 'ok|E_ABORTED' };
    }
    case 16: {
      const x = signal(rand, length);
      x[Math.floor(rand() * length)] = Number.NaN;
      return { kind: 'NaN', input: x, options: {}, expect: 'E_INPUT' };
    }
    case 17:
      return { kind: 'empty', input: new Float32Array(0), options: {}, expect: 'E_INPUT' };
    case 18:
      return { kind: 'wrong type', input: WRONG_TYPES[Math.floor(i / 20) % WRONG_TYPES.length](), options: {}, expect: 'E_INPUT' };
    case 19:
      return { kind: 'bad option', input: signal(rand, length), options: { steps: 7 }, expect: 'E_INPUT' };
    case 7:
      // A list of inputs of two lengths, restored in one call.
      return { kind: 'list', input: [signal(rand, length), signal(rand, 4 * HOP)], options: { seed: i }, expect: 'ok' };
    default:
      return { kind: 'ok', input: signal(rand, length), options: { seed: i }, expect: 'ok' };
  }
}

/** Undefined when `outcome` is what the case expects, else what went wrong. */
function judge(c, outcome) {
  if (outcome.hung) return `no answer after ${CALL_TIMEOUT_MS / 1000} s`;
  if (outcome.error) {
    const code = outcome.error.code;
    if (c.expect === code || (c.expect === 'ok|E_ABORTED' && code === 'E_ABORTED')) return undefined;
    return `rejected with ${code ?? 'no code'}: ${outcome.error.message}`;
  }
  if (!c.expect.startsWith('ok')) return `resolved, expected ${c.expect}`;
  const inputs = Array.isArray(c.input) ? c.input : [c.input];
  const outputs = Array.isArray(c.input) ? outcome.value : [outcome.value];
  if (!Array.isArray(outputs) || outputs.length !== inputs.length) return 'wrong number of outputs';
  for (const [k, y] of outputs.entries()) {
    if (!(y instanceof Float32Array) || y.length !== inputs[k].length) return `output ${k} is not a Float32Array of the input length`;
    if (!y.every(Number.isFinite)) return `output ${k} has non-finite samples`;
  }
  return undefined;
}

// --- phases --------------------------------------------------------------------------------------

function sampleMemory(done) {
  gc();
  const m = process.memoryUsage();
  return { done, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** Runs `restores` calls of `restore` with `concurrency` in flight; returns counts, failures, samples. */
async function phase(name, restore) {
  const rand = random(12345);
  const counts = { ok: 0, aborted: 0, rejected: 0, failed: 0 };
  const failures = [];
  const every = Math.max(1, Math.floor(restores / samplesPerPhase));
  const samples = [sampleMemory(0)];
  const started = Date.now();
  let next = 0;
  let done = 0;
  let slowest = 0;
  const loop = async () => {
    while (next < restores) {
      const c = makeCase(next++, rand);
      const callStarted = performance.now();
      let timer;
      const outcome = await Promise.race([
        restore(c.input, c.options).then(
          (value) => ({ value }),
          (error) => ({ error }),
        ),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve({ hung: true }), CALL_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
      slowest = Math.max(slowest, performance.now() - callStarted);
      const wrong = judge(c, outcome);
      if (wrong) {
        counts.failed++;
        if (failures.length < 10) failures.push(`${name} call ${done} (${c.kind}): ${wrong}`);
      } else if (!outcome.error) counts.ok++;
      else if (outcome.error.code === 'E_ABORTED') counts.aborted++;
      else counts.rejected++;
      if (simulatedLeakBytes > 0) kept.push(Buffer.alloc(simulatedLeakBytes, 1));
      if (++done % every === 0) samples.push(sampleMemory(done));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = (Date.now() - started) / 1000;
  const steady = samples.filter((s) => s.done >= warmup * restores);
  const slope = leastSquares(steady.map((s) => [s.done, s.rss])).slope * 1000;
  return {
    name,
    restores,
    seconds,
    slowestMs: slowest,
    counts,
    failures,
    samples,
    slopeBytesPer1000: slope,
    passed: counts.failed === 0 && slope <= maxSlopeBytes,
  };
}

function report(p) {
  const at = (s) => `${(s.rss / MB).toFixed(1)} MB`;
  const afterWarmup = p.samples.find((s) => s.done >= warmup * p.restores) ?? p.samples[0];
  console.log(
    `${p.name}: ${p.restores} calls in ${p.seconds.toFixed(1)} s (${((p.seconds * 1000) / p.restores).toFixed(2)} ms each, slowest ${p.slowestMs.toFixed(0)} ms); ` +
      `${p.counts.ok} restored, ${p.counts.aborted} aborted, ${p.counts.rejected} rejected as expected, ${p.counts.failed} wrong`,
  );
  console.log(
    `${p.name}: RSS ${at(p.samples[0])} at start, ${at(afterWarmup)} after warm-up (${afterWarmup.done} calls), ` +
      `${at(p.samples.at(-1))} at end; slope ${(p.slopeBytesPer1000 / 1024).toFixed(1)} KB per 1000 calls ` +
      `(limit ${(maxSlopeBytes / 1024).toFixed(0)} KB)`,
  );
  for (const f of p.failures) console.log(`  ${f}`);
}

function writeOutputs(dir, phases) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'soak.json'),
    `${JSON.stringify({ restores, concurrency, threads, warmup, maxSlopeBytes, phases }, null, 1)}\n`,
  );
  const series = [];
  let offset = 0;
  for (const p of phases) {
    series.push({ name: `RSS, ${p.name}`, points: p.samples.map((s) => [offset + s.done, s.rss / MB]) });
    series.push({ name: `JS heap + external, ${p.name}`, points: p.samples.map((s) => [offset + s.done, (s.heapUsed + s.external) / MB]) });
    offset += p.restores;
  }
  plotLines(
    { title: 'Soak: memory over restore calls (speech-tiny)', xLabel: 'calls', yLabel: 'MB', series, yRange: [0, undefined] },
    path.join(dir, 'soak.png'),
  );
}

async function main() {
  console.log(
    `soak: ${restores} calls per phase, ${concurrency} in flight, ${threads} thread(s), gc ${global.gc ? 'exposed' : 'not exposed'}`,
  );
  const wanted = new Set(args.phases.split(','));
  const unknown = [...wanted].filter((p) => p !== 'model' && p !== 'pool');
  if (unknown.length || wanted.size === 0) throw new Error(`--phases takes model and/or pool, got '${args.phases}'`);
  const phases = [];
  if (wanted.has('model')) {
    const model = await api.createModel({ preset: 'speech-tiny', seed: 1, threads });
    phases.push(await phase('model.restore', (x, o) => model.restore(x, o)));
    await model.dispose();
    report(phases.at(-1));
  }
  if (wanted.has('pool') && typeof api.RestorePool !== 'function') console.log('soak: this build has no RestorePool; pool phase skipped');
  else if (wanted.has('pool')) {
    const pool = await api.RestorePool.open({ model: { preset: 'speech-tiny', seed: 1 }, workers: 2, threadsPerWorker: threads });
    phases.push(await phase('pool.restore', (x, o) => pool.restore(x, o)));
    await pool.close();
    report(phases.at(-1));
  }
  if (args.out) writeOutputs(args.out, phases);
  const passed = phases.every((p) => p.passed);
  console.log(passed ? 'soak: passed' : 'soak: FAILED');
  process.exitCode = passed ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
