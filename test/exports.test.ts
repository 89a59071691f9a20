/**
 * The package's entry points as an installed package has them (package.json `exports`, `types`,
 * `typesVersions`): `restoregrad` without the queue library, `restoregrad/queue` with it, at run
 * time from CommonJS and ES modules, and in the types for each `moduleResolution` users set.
 * Runs against the build (dist/, from `npm run compile:ts`).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as ts from 'typescript';

import { consumerDir, runNode } from './consumer';
import { typeErrors } from './typecheck';

const root = path.join(__dirname, '..');
const dir = consumerDir('rg-exports-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs `script` in a new node process (CommonJS, in `cwd`) and parses the JSON it prints. */
function inFreshNode(script: string, cwd = root): Record<string, unknown> {
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd, encoding: 'utf8', timeout: 60000 }));
}

const loadedBullmq = "Object.keys(require.cache).some((f) => f.split(require('node:path').sep).includes('bullmq'))";

test('requiring the root (dist/index.js) does not load bullmq; dist/queue does', () => {
  const r = inFreshNode(`
    const api = require(${JSON.stringify(path.join(root, 'dist/index.js'))});
    const before = ${loadedBullmq};
    const queue = require(${JSON.stringify(path.join(root, 'dist/queue/index.js'))});
    console.log(JSON.stringify({ before, after: ${loadedBullmq}, model: typeof api.createModel, worker: typeof queue.RestoreWorker }));
  `);
  expect(r).toEqual({ before: false, after: true, model: 'function', worker: 'function' });
});

test('an installed package resolves `restoregrad` and `restoregrad/queue` through its exports', () => {
  const r = inFreshNode(
    `
    const api = require('restoregrad');
    const before = ${loadedBullmq};
    const queue = require('restoregrad/queue');
    let deep;
    try { require('restoregrad/dist/model'); } catch (e) { deep = e.code; }
    console.log(JSON.stringify({
      before,
      after: ${loadedBullmq},
      root: ['createModel', 'RestorePool', 'RestoreWorker', 'enqueueRestore'].filter((n) => n in api),
      queue: Object.keys(queue).sort(),
      version: require('restoregrad/package.json').version,
      deep,
    }));
  `,
    dir,
  );
  expect(r).toEqual({
    before: false,
    after: true,
    root: ['createModel', 'RestorePool'],
    queue: ['DEFAULT_MAX_INLINE_BYTES', 'RESTORE_JOB', 'RestoreWorker', 'enqueueRestore', 'fileJobs', 'parseJobData', 'redisConnection'],
    version: JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version,
    deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
  });
});

test('ES modules import both entry points by name', async () => {
  const file = path.join(dir, 'esm.mjs');
  fs.writeFileSync(
    file,
    `import { createModel } from 'restoregrad';
import { enqueueRestore, RestoreWorker } from 'restoregrad/queue';
console.log(typeof createModel, typeof enqueueRestore, typeof RestoreWorker);
`,
  );
  const { stdout } = await runNode(file, [], dir);
  expect(stdout.trim()).toBe('function function function');
});

describe('the types resolve for every moduleResolution', () => {
  const consumer = `import { createModel, type Model } from 'restoregrad';
import { enqueueRestore, RestoreWorker, type RestoreJobResult } from 'restoregrad/queue';
// @ts-expect-error the queue API is not in the root entry point
import { RestoreWorker as FromRoot } from 'restoregrad';

export async function use(): Promise<[Model, RestoreWorker, string[], RestoreJobResult | undefined, unknown]> {
  const model = await createModel({ preset: 'speech-tiny' });
  const worker = await RestoreWorker.start({ connection: 'redis://localhost:6379', queue: 'q', model: 'm.safetensors' });
  const ids = await enqueueRestore({ connection: 'redis://localhost:6379', name: 'q' }, []);
  return [model, worker, ids, undefined, FromRoot];
}
`;
  const base: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
    types: ['node'],
    typeRoots: [path.join(root, 'node_modules/@types')],
    skipLibCheck: true,
    esModuleInterop: true,
  };
  const cases: [string, string, ts.CompilerOptions][] = [
    ['node10', 'node10.ts', { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 }],
    ['node16 (CommonJS)', 'node16.cts', { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 }],
    ['node16 (ES module)', 'node16.mts', { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 }],
    ['bundler', 'bundler.ts', { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler }],
  ];
  test.each(cases)('%s', (_, name, options) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, consumer);
    expect(typeErrors([file], { ...base, ...options })).toEqual([]);
  });
});
