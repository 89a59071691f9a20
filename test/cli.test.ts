import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { addNoise, synthVoice } from '../lib/audio/synth';
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

  // One input into one named file, the same bytes as in the folder; misuses of -o are refused.
  const single = path.join(tmp, 'single/restored.wav');
  await run('node', [cli, 'restore', '--model', model, '-o', single, path.join(tmp, 'data/noisy/1.wav')]);
  expect(fs.readFileSync(single).equals(fs.readFileSync(path.join(tmp, 'out/1.wav')))).toBe(true);
  const noisy = (i: number) => path.join(tmp, `data/noisy/${i}.wav`);
  for (const [args, message] of [
    [['-o', single, noisy(0), noisy(1)], /exactly one input file/],
    [['-o', single, path.join(tmp, 'data/noisy')], /exactly one input file/],
    [['-o', path.join(tmp, 'restored.mp3'), noisy(0)], /writes WAV/],
  ] as const)
    await expect(run('node', [cli, 'restore', '--model', model, ...args])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(message),
    });
  await expect(run('node', [cli, 'restore', '--model', model, '-o', single, '--out', tmp, noisy(0)])).rejects.toMatchObject({ code: 2 });
});

test('--help after a command prints the usage and runs nothing', async () => {
  const { stdout } = await run('node', [cli, 'train', '--help']);
  expect(stdout).toMatch(/^usage: restoregrad <command>/);
  expect(stdout).toContain('--nproc N');
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

test('eval scores restored files against clean ones, with the gain over the noisy input', async () => {
  const dir = path.join(tmp, 'eval');
  const clean = synthVoice({ seconds: 2, sampleRate: 16000, seed: 3 });
  for (const [sub, x] of [
    ['clean', clean],
    ['noisy', addNoise(clean, 0, 5)],
    ['restored', addNoise(clean, 15, 5)],
  ] as const) {
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
    fs.writeFileSync(path.join(dir, sub, 'a.wav'), encodeWav(x, 16000, 'float32'));
  }
  const args = ['eval', '--clean', path.join(dir, 'clean'), '--restored', path.join(dir, 'restored'), '--noisy', path.join(dir, 'noisy')];
  const json = JSON.parse((await run('node', [cli, ...args, '--json'])).stdout);
  const { restored, noisy } = json.mean;
  // The same noise 15 dB weaker: 15 dB more SI-SDR (up to the noise's slight correlation with the
  // voice), and better intelligibility.
  expect(restored.siSdr - noisy.siSdr).toBeCloseTo(15, 0);
  expect(restored.stoi).toBeGreaterThan(noisy.stoi);
  expect((await run('node', [cli, ...args])).stdout).toMatch(/improvement\s+1[45]\.\d\d/);
});

test('eval of a speech folder against itself: SI-SDR Infinity, STOI and ESTOI 1', async () => {
  const dir = path.join(tmp, 'eval-self');
  fs.mkdirSync(dir, { recursive: true });
  for (const seed of [1, 2])
    fs.writeFileSync(path.join(dir, `${seed}.wav`), encodeWav(synthVoice({ seconds: 2, sampleRate: 16000, seed }), 16000, 'float32'));
  const args = ['eval', '--clean', dir, '--restored', dir];
  const { restored } = JSON.parse((await run('node', [cli, ...args, '--json'])).stdout).mean;
  expect(restored.siSdr).toBe('Infinity');
  expect(Math.abs(restored.stoi - 1)).toBeLessThan(1e-9);
  expect(Math.abs(restored.estoi - 1)).toBeLessThan(1e-9);
  expect((await run('node', [cli, ...args])).stdout).toMatch(/^mean \(restored\)\s+Infinity\s/m);
});

test('eval leaves a file with too little speech for STOI out of the STOI and ESTOI means, and says so', async () => {
  const dir = path.join(tmp, 'eval-short');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'long.wav'), encodeWav(synthVoice({ seconds: 2, sampleRate: 16000, seed: 1 }), 16000, 'float32'));
  fs.writeFileSync(path.join(dir, 'short.wav'), encodeWav(synthVoice({ seconds: 0.3, sampleRate: 16000, seed: 1 }), 16000, 'float32'));
  const args = ['eval', '--clean', dir, '--restored', dir];
  const json = JSON.parse((await run('node', [cli, ...args, '--json'])).stdout);
  expect(json.files.find((f: { name: string }) => f.name === 'short.wav').restored.stoi).toBe('NaN');
  expect(Math.abs(json.mean.restored.stoi - 1)).toBeLessThan(1e-9);
  expect((await run('node', [cli, ...args])).stdout).toContain('1 file(s) too short, left out of their means');
});

test('the CLI runs itself with tcmalloc preloaded when the machine has it, unless told not to', async () => {
  const { findTcmalloc } = await import('../lib/allocator');
  const preloaded = await run('node', [cli, 'info']);
  expect(preloaded.stdout).toContain(findTcmalloc() ? 'allocator: tcmalloc' : 'allocator: the system malloc');
  const plain = await run('node', [cli, 'info'], { env: { ...process.env, RESTOREGRAD_NO_PRELOAD: '1', LD_PRELOAD: '' } });
  expect(plain.stdout).toContain('allocator: the system malloc');
});
