import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { createModel, loadModel } from '../lib';
import { tonePair } from './helpers';

interface PyTensor {
  dtype: string;
  shape: number[];
  sum: number;
  sha256: string;
}
interface PyFile {
  metadata: Record<string, string>;
  tensors: Record<string, PyTensor>;
  header_aligned: boolean;
}

test('Python with numpy reads our checkpoints and finds the same tensors after a round trip', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-py-'));
  const m = await createModel({ preset: 'speech-tiny', seed: 2, threads: 1 });
  await m.train([tonePair(3000, 1)], { steps: 3, batchSize: 2 });
  const first = path.join(dir, 'first.safetensors');
  const second = path.join(dir, 'second.safetensors');
  await m.save(first);
  const loaded = await loadModel(first, { threads: 1 });
  await loaded.save(second);

  const out = execFileSync('/usr/bin/python3', [path.join(__dirname, 'fixtures/read_safetensors.py'), first, second], { encoding: 'utf8' });
  const files = JSON.parse(out) as Record<string, PyFile>;
  const a = files[first];
  const b = files[second];
  expect(a.header_aligned).toBe(true);
  expect(a.metadata.format).toBe('restoregrad');
  expect(a.metadata.step).toBe('3');
  expect(JSON.parse(a.metadata.config)).toEqual(m.config);

  // Weights, EMA and both Adam moments for every parameter, plus the generator state.
  const params = Object.keys(a.tensors).filter((k) => k.startsWith('params.'));
  const numel = (t: PyTensor) => t.shape.reduce((x, y) => x * y, 1);
  expect(params.reduce((s, k) => s + numel(a.tensors[k]), 0)).toBe(m.parameterCount.total);
  expect(Object.keys(a.tensors).length).toBe(4 * params.length + 1);
  for (const k of params) expect(a.tensors[k].dtype).toBe('F32');
  expect(a.tensors.rng.dtype).toBe('U8');
  // Trained weights are not all zero, and the reloaded model saves exactly the same bytes.
  expect(params.some((k) => a.tensors[k].sum !== 0)).toBe(true);
  expect(b.tensors).toEqual(a.tensors);
  await Promise.all([m.dispose(), loaded.dispose()]);
  fs.rmSync(dir, { recursive: true, force: true });
});
