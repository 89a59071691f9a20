/**
 * Every ```ts block of README.md is type-checked against the published types, and the ones
 * marked `run` also run, as ES modules importing the built package, in a folder holding what
 * they read: `speech.safetensors` (an untrained speech-tiny model) and `noisy.wav`. A block
 * without a marker fails (see test/readme-blocks.ts for the markers).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as ts from 'typescript';

import { encodeWav } from '../lib/audio/wav';
import { createModel } from '../lib/model';
import { consumerDir, runNode, transpileTo } from './consumer';
import { tonePair } from './helpers';
import { codeBlocks } from './readme-blocks';
import { readProject, typeErrors } from './typecheck';

const root = path.join(__dirname, '..');
const blocks = codeBlocks(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
const checked = blocks.filter((b) => b.mode === 'run' || b.mode === 'typecheck');
const dir = consumerDir('rg-readme-');
const source = (b: (typeof blocks)[number]) => `${b.declarations ?? ''}\n${b.code}\n`;

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('every ts block is marked run, typecheck or skip (with a reason)', () => {
  expect(blocks.length).toBeGreaterThan(0);
  const unmarked = blocks
    .filter((b) => b.mode === undefined)
    .map((b) => `README.md:${b.line}: put <!-- readme-test: run | typecheck | skip (reason) --> on the line before the block`);
  expect(unmarked).toEqual([]);
  expect(blocks.filter((b) => b.mode === 'run').length).toBeGreaterThan(0);
});

test('the run and typecheck blocks compile against the published types', () => {
  // One file per block, named by its line; ES modules, so top-level await is allowed.
  const files = checked.map((b) => {
    const file = path.join(dir, `README.md-line-${b.line}.ts`);
    fs.writeFileSync(file, source(b));
    return file;
  });
  const { options } = readProject(path.join(root, 'examples/tsconfig.json'));
  const esm = {
    module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    moduleDetection: ts.ModuleDetectionKind.Force,
  };
  // Snippets may leave a value unused; everything else is as strict as the package.
  expect(
    typeErrors(files, {
      ...options,
      ...esm,
      rootDir: undefined,
      noUnusedLocals: false,
      typeRoots: [path.join(root, 'node_modules/@types')],
    }),
  ).toEqual([]);
});

describe('run blocks', () => {
  beforeAll(async () => {
    const model = await createModel({ preset: 'speech-tiny', seed: 1 });
    await model.save(path.join(dir, 'speech.safetensors'));
    await model.dispose();
    fs.writeFileSync(path.join(dir, 'noisy.wav'), encodeWav(tonePair(16000, 5).degraded, 16000));
  });

  test.each(blocks.filter((b) => b.mode === 'run').map((b) => [b.line, b] as const))('README.md:%i runs', async (line, block) => {
    const script = transpileTo(dir, `README.md-line-${line}.mjs`, source(block));
    const { stdout } = await runNode(script, [], dir);
    expect(stdout.length).toBeGreaterThan(0);
  });
});
