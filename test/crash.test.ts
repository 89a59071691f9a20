import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { loadModel } from '../lib';

const child = path.join(__dirname, 'fixtures/train-child.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-crash-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs the training child to completion, or SIGKILLs it after `killAfterMs`. */
function train(file: string, steps: number, killAfterMs?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('node', [child, file, String(steps)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 || signal === 'SIGKILL') resolve();
      else reject(new Error(`training child failed (${code}): ${stderr}`));
    });
  });
}

test('SIGKILL during checkpoint writes never leaves a bad file, and resuming gives the uninterrupted bytes', async () => {
  const steps = 200;
  const straight = path.join(tmp, 'straight.safetensors');
  // Time to the first save (start-up) and to the end, so that the kills below fall mid-training on
  // a fast machine and on a loaded one alike.
  const started = Date.now();
  let firstSave = 0;
  const poll = setInterval(() => {
    if (!firstSave && fs.existsSync(straight)) firstSave = Date.now() - started;
  }, 10);
  await train(straight, steps);
  clearInterval(poll);
  const whole = Date.now() - started;
  const startup = firstSave || whole / 2;

  const killed = path.join(tmp, 'killed.safetensors');
  const stepsSeen: number[] = [];
  // Each restart resumes, and trains about 1/8 or 2/8 of the run before its kill: 7/8 in all.
  for (const eighths of [1, 2, 1, 2, 1]) {
    const ms = Math.round(startup + (eighths * (whole - startup)) / 8);
    await train(killed, steps, ms);
    if (!fs.existsSync(killed)) continue; // killed before the first save
    const m = await loadModel(killed, { threads: 1 }); // every file on disk loads
    stepsSeen.push(m.step);
    await m.dispose();
  }
  // Killed mid-training (not after the end), and each restart went on from where the last one saved.
  expect(stepsSeen.length).toBeGreaterThanOrEqual(3);
  expect(stepsSeen.at(-1)).toBeLessThan(steps);
  expect([...stepsSeen].sort((a, b) => a - b)).toEqual(stepsSeen);
  await train(killed, steps);
  expect(fs.readFileSync(killed).equals(fs.readFileSync(straight))).toBe(true);
  // A kill mid-save leaves a temporary file; the next save of the same checkpoint removes it.
  expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp.'))).toEqual([]);
});
