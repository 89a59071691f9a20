#!/usr/bin/env node
// Regenerates the API reference (typedoc.json, warnings as errors) into a temporary folder and fails
// when it differs from the committed docs/api/, so the reference follows the TSDoc comments.
// Fix a difference with `npm run docs`.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const committed = path.join(root, 'docs/api');

/** Paths of the files below `dir`, relative to it, sorted. */
function files(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
    .sort();
}

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-docs-'));
try {
  const typedoc = path.join(root, 'node_modules/typedoc/bin/typedoc');
  const r = spawnSync(process.execPath, [typedoc, '--out', out, '--logLevel', 'Warn'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout}${r.stderr}docs:check: typedoc failed (its warnings count as errors)\n`);
    process.exit(1);
  }
  const want = files(out);
  const have = files(committed);
  const problems = [
    ...want.filter((f) => !have.includes(f)).map((f) => `missing: docs/api/${f}`),
    ...have.filter((f) => !want.includes(f)).map((f) => `no longer generated: docs/api/${f}`),
    ...want
      .filter((f) => have.includes(f) && !fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(committed, f))))
      .map((f) => `differs: docs/api/${f}`),
  ];
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\ndocs:check: docs/api/ is out of date; run \`npm run docs\` and commit it\n`);
    process.exit(1);
  }
  console.log(`docs:check: docs/api/ matches the sources (${want.length} files)`);
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
