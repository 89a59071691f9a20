#!/usr/bin/env node
// `npm run bench:allocator`: speech restoration in a plain `node` process against the same with
// tcmalloc preloaded, as alternating pairs of fresh processes (A B A B …, so that drift in the
// machine's speed hits both alike). Each process restores the same 4 s signal with an untrained
// model (the arithmetic does not depend on the weights) `--calls` times and reports the median
// call; the report gives each pair's ratio and the median ratio. Plain processes run with the
// addon's block cache (the default) and, with --system, also with RESTOREGRAD_ALLOCATOR=system.
// Writes bench/results/allocator.md.
//   usage: node scripts/bench/allocator.js [--preset speech-base] [--pairs 5] [--calls 3] [--threads 2]
//          [--precision float32] [--system]
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const root = path.join(__dirname, '..', '..');
const { values: o } = parseArgs({
  options: {
    preset: { type: 'string', default: 'speech-base' },
    pairs: { type: 'string', default: '5' },
    calls: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    precision: { type: 'string', default: 'float32' },
    system: { type: 'boolean', default: false },
    child: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(root, 'bench/results/allocator.md') },
  },
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function child() {
  const { createModel } = require(path.join(root, 'dist'));
  const model = await createModel({ preset: o.preset, seed: 1, threads: Number(o.threads) });
  const x = Float32Array.from({ length: 64000 }, (_, t) => 0.1 * Math.sin(t * 0.03) + 0.02 * Math.sin(t * 1.7));
  const times = [];
  for (let i = 0; i < Number(o.calls); i++) {
    const t0 = process.hrtime.bigint();
    await model.restore(x, { steps: 6, seed: 0, precision: o.precision });
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  await model.dispose();
  console.log(JSON.stringify({ median: median(times), times, rss: process.resourceUsage().maxRSS / 1024 }));
}

function runChild(env) {
  const args = [__filename, '--child', '--preset', o.preset, '--calls', o.calls, '--threads', o.threads, '--precision', o.precision];
  const out = execFileSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

function main() {
  const { findTcmalloc } = require(path.join(root, 'dist/allocator'));
  const tcmalloc = findTcmalloc();
  if (!tcmalloc) throw new Error('tcmalloc is not installed (apt-get install libtcmalloc-minimal4)');
  const variants = [
    { name: 'plain node (block cache)', env: {} },
    { name: 'tcmalloc preloaded', env: { LD_PRELOAD: tcmalloc } },
    ...(o.system ? [{ name: 'plain node, RESTOREGRAD_ALLOCATOR=system', env: { RESTOREGRAD_ALLOCATOR: 'system' } }] : []),
  ];
  const rows = [];
  for (let p = 0; p < Number(o.pairs); p++) {
    const row = variants.map((v) => runChild(v.env));
    rows.push(row);
    process.stderr.write(`pair ${p + 1}: ${row.map((r) => r.median.toFixed(2)).join(' / ')} s\n`);
  }
  const ratio = (i) => median(rows.map((r) => r[i].median / r[1].median));
  const lines = [
    '# Allocators: a plain `node` process against tcmalloc preloaded',
    '',
    `\`node scripts/bench/allocator.js --preset ${o.preset} --pairs ${o.pairs} --calls ${o.calls} --threads ${o.threads} --precision ${o.precision}${o.system ? ' --system' : ''}\``,
    `on ${os.cpus()[0].model}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    `\`${o.preset}\` restoring 4 s of audio at 6 steps, batch 1, ${o.precision}, ${o.threads} threads; each cell is the median of`,
    `${o.calls} calls in one fresh process; the variants run one after another within each pair.`,
    '',
    `| pair | ${variants.map((v) => v.name).join(' | ')} |`,
    `|---|${variants.map(() => '---').join('|')}|`,
    ...rows.map((r, i) => `| ${i + 1} | ${r.map((c) => `${c.median.toFixed(2)} s (${Math.round(c.rss)} MB)`).join(' | ')} |`),
    '',
    ...variants.map((v, i) => {
      const line = `- ${v.name}: median ${median(rows.map((r) => r[i].median)).toFixed(2)} s`;
      return i === 1 ? line : `${line}; median of the paired ratios to tcmalloc ${ratio(i).toFixed(3)}`;
    }),
    '',
  ];
  fs.writeFileSync(o.out, `${lines.join('\n')}\n`);
  console.log(`wrote ${o.out}`);
}

if (o.child) child();
else main();
