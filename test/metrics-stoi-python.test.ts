import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { estoi, stoi } from '../lib/metrics';
import { Random } from '../lib/random';
import { cleanSignal, degradedSignal } from './fixtures/stoi/signals';
import { vectors } from './fixtures/stoi/vectors';

interface Job {
  name: string;
  clean: Float64Array;
  degraded: Float64Array;
  fs: number;
}

/** Random speech-like bursts: smoothed noise gated on and off at random, plus a noisy copy. */
function randomPair(fs: number, seed: number, seconds = 1.5): Job {
  const r = new Random(seed);
  const n = Math.round(seconds * fs);
  const clean = new Float64Array(n);
  const degraded = new Float64Array(n);
  const pole = 0.2 + 0.7 * r.next();
  let s = 0;
  let on = true;
  let nextSwitch = 0;
  for (let i = 0; i < n; i++) {
    if (i >= nextSwitch) {
      on = !on;
      nextSwitch = i + Math.round((0.1 + 0.25 * r.next()) * fs);
    }
    s = pole * s + (r.next() - 0.5);
    clean[i] = on ? s * (0.5 + 0.5 * Math.sin((2 * Math.PI * 4 * i) / fs)) : 0;
    degraded[i] = clean[i] + 0.6 * (r.next() - 0.5) + 0.1 * Math.sin((2 * Math.PI * 997 * i) / fs);
  }
  return { name: `random ${fs} Hz`, clean, degraded, fs };
}

test('STOI and ESTOI agree with a numpy reference at other sample rates', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-stoi-'));
  // Two pystoi cases check the reference itself; the random signals cover other resampling ratios.
  const known = ['sigA_fs10000_brown_snr0', 'sigB_fs16000_white_snr0'].map((name) => vectors.cases.find((c) => c.name === name)!);
  const jobs: Job[] = [
    ...known.map((c) => {
      const clean = cleanSignal(c.signal, c.fs);
      return { name: c.name, clean, degraded: degradedSignal(c, clean), fs: c.fs };
    }),
    ...[8000, 10000, 16000, 22050, 44100].map((fs, i) => randomPair(fs, 100 + i)),
  ];
  const files = jobs.map((job, i) => {
    const clean = path.join(dir, `${i}-clean.f64`);
    const degraded = path.join(dir, `${i}-degraded.f64`);
    fs.writeFileSync(clean, new Uint8Array(job.clean.buffer));
    fs.writeFileSync(degraded, new Uint8Array(job.degraded.buffer));
    return { clean, degraded, fs: job.fs };
  });
  const out = execFileSync('/usr/bin/python3', [path.join(__dirname, 'fixtures/stoi/ref_stoi.py')], {
    input: JSON.stringify(files),
    encoding: 'utf8',
  });
  fs.rmSync(dir, { recursive: true, force: true });
  const ref = JSON.parse(out) as { stoi: number; estoi: number; resampler: string }[];

  known.forEach((c, i) => {
    expect(Math.abs(ref[i].stoi - c.stoi)).toBeLessThan(1e-11);
    expect(Math.abs(ref[i].estoi - c.estoi)).toBeLessThan(1e-11);
  });
  jobs.forEach((job, i) => {
    const s = stoi(job.clean, job.degraded, job.fs);
    const e = estoi(job.clean, job.degraded, job.fs);
    expect({ job: job.name, stoi: Math.abs(s - ref[i].stoi) < 1e-11, estoi: Math.abs(e - ref[i].estoi) < 1e-11 }).toEqual({
      job: job.name,
      stoi: true,
      estoi: true,
    });
    // The signals are far from the 1e-5 short-input value and from perfect scores.
    expect(s).toBeGreaterThan(0.3);
    expect(s).toBeLessThan(0.99);
  });
});
