import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { decodeWav, encodeWav } from '../lib/audio/wav';
import { BatchSampler } from '../lib/data/batches';
import { mix, mixedSpeech, pairedFolders } from '../lib/data/folders';
import { InputError } from '../lib/errors';
import { Random } from '../lib/random';
import { tonePair } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-data-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(file: string, x: Float32Array, rate = 16000) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, encodeWav(x, rate, 'float32'));
}

describe('WAV', () => {
  test('float32 round trips exactly; 16-bit within one quantisation step', () => {
    const x = tonePair(1000, 1).degraded;
    expect(decodeWav(encodeWav(x, 16000, 'float32')).samples).toEqual(x);
    const y = decodeWav(encodeWav(x, 22050, 'pcm16'));
    expect(y.sampleRate).toBe(22050);
    expect(Math.max(...y.samples.map((v, i) => Math.abs(v - x[i])))).toBeLessThanOrEqual(1 / 32767);
  });

  test('stereo is refused unless mixed down; junk and truncated files are refused', () => {
    const stereo = encodeWav(new Float32Array([0.5, -0.5, 0.25, 0.75]), 16000, 'float32');
    stereo.writeUInt16LE(2, 22); // two channels of two frames
    expect(() => decodeWav(stereo)).toThrow(/2 channels/);
    expect(Array.from(decodeWav(stereo, { mixdown: true }).samples)).toEqual([0, 0.5]);
    expect(() => decodeWav(Buffer.from('hello world, not a wav'))).toThrow(InputError);
    expect(() => decodeWav(encodeWav(new Float32Array(10), 16000).subarray(0, 30))).toThrow(/fmt/);
  });
});

describe('datasets', () => {
  test('paired folders load matching files and refuse a missing twin or a wrong rate', async () => {
    const dir = path.join(tmp, 'paired');
    for (const [i, name] of ['a.wav', 'sub/b.wav'].entries()) {
      const p = tonePair(2000, i + 1);
      write(path.join(dir, 'clean', name), p.clean);
      write(path.join(dir, 'noisy', name), p.degraded);
    }
    const ds = pairedFolders(dir);
    expect(ds.length).toBe(2);
    const pair = await ds.get(1, new Random(0));
    expect(pair.degraded).toEqual(tonePair(2000, 2).degraded);
    write(path.join(dir, 'clean', 'c.wav'), tonePair(100, 3).clean);
    expect(() => pairedFolders(dir)).toThrow(/no noisy twin/);
    write(path.join(dir, 'noisy', 'c.wav'), tonePair(100, 3).clean, 8000);
    await expect(pairedFolders(dir).get(1, new Random(0))).rejects.toThrow(/8000 Hz/); // a.wav, c.wav, sub/b.wav
  });

  test('mix hits the SNR asked for and scales the mixture to the RMS asked for', () => {
    const { clean } = tonePair(4000, 1);
    const noise = tonePair(3000, 9, 0.5).degraded;
    const { clean: c, degraded: d } = mix(clean, noise, 7.5, 0.1, 123);
    const power = (x: ArrayLike<number>) => Array.from(x).reduce((s, v) => s + v * v, 0) / x.length;
    const n = Array.from(d, (v, i) => v - c[i]);
    expect(10 * Math.log10(power(c) / power(n))).toBeCloseTo(7.5, 4);
    expect(Math.sqrt(power(d))).toBeCloseTo(0.1, 5);
  });

  test('mixed speech is reproducible from the random source and feeds the batch sampler', async () => {
    const speechDir = path.join(tmp, 'speech');
    const noiseDir = path.join(tmp, 'noise');
    for (let i = 0; i < 3; i++) write(path.join(speechDir, `s${i}.wav`), tonePair(3000, i).clean);
    for (let i = 0; i < 2; i++) write(path.join(noiseDir, `n${i}.wav`), tonePair(1000, 10 + i, 1).degraded);
    const ds = mixedSpeech({ speechDir, noiseDir, snrDb: [0, 10] });
    const a = await ds.get(1, new Random(5));
    const b = await ds.get(1, new Random(5));
    expect(a.degraded).toEqual(b.degraded);
    const sampler = new BatchSampler(ds, 2, 1024, 3, 0.1);
    const x = await sampler.next(7);
    const y = await sampler.next(7);
    expect(x?.degraded).toEqual(y?.degraded);
    expect(x?.clean.length).toBe(2048);
  });
});
