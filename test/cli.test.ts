import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { decodeWav, encodeWav } from '../lib/audio/wav';
import { tonePair } from './helpers';

const run = promisify(execFile);
const cli = path.join(__dirname, '../dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('train, resume and restore through the command line', async () => {
  for (let i = 0; i < 3; i++) {
    const p = tonePair(3000, i);
    fs.mkdirSync(path.join(tmp, 'data/clean'), { recursive: true });
    fs.mkdirSync(path.join(tmp, 'data/noisy'), { recursive: true });
    fs.writeFileSync(path.join(tmp, `data/clean/${i}.wav`), encodeWav(p.clean, 16000));
    fs.writeFileSync(path.join(tmp, `data/noisy/${i}.wav`), encodeWav(p.degraded, 16000));
  }
  const model = path.join(tmp, 'm.safetensors');
  const args = ['train', '--data', path.join(tmp, 'data'), '--out', model, '--preset', 'speech-tiny', '--batch', '2'];
  await run('node', [cli, ...args, '--steps', '4']);
  const resumed = await run('node', [cli, ...args, '--steps', '6']);
  expect(resumed.stderr).toMatch(/resuming .* at step 4/);
  await run('node', [cli, 'restore', '--model', model, '--out', path.join(tmp, 'out'), path.join(tmp, 'data/noisy')]);
  const out = fs.readdirSync(path.join(tmp, 'out')).sort();
  expect(out).toEqual(['0.wav', '1.wav', '2.wav']);
  expect(decodeWav(fs.readFileSync(path.join(tmp, 'out/1.wav'))).samples.length).toBe(3000);
});

test('bad flags and bad files exit non-zero with a message', async () => {
  await expect(run('node', [cli, 'trian'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command 'trian'/) });
  await expect(run('node', [cli, 'restore', '--modle', 'x'])).rejects.toMatchObject({ code: 2 });
  fs.writeFileSync(path.join(tmp, 'junk.safetensors'), 'junk');
  await expect(
    run('node', [cli, 'restore', '--model', path.join(tmp, 'junk.safetensors'), '--out', tmp, path.join(tmp, 'data/noisy')]),
  ).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringMatching(/E_CHECKPOINT/),
  });
});
