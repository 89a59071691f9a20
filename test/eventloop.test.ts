import * as fs from 'node:fs';

import { createModel } from '../lib';
import { tonePair } from './helpers';

test('while a model trains, the event loop keeps ticking and fs.readFile answers promptly', async () => {
  // One intra-op thread leaves the second core to the event loop, as a service on two cores would.
  const m = await createModel({ preset: 'speech-small', threads: 1 });
  const data = [tonePair(16000, 1), tonePair(16000, 2)];
  let lastTick = Date.now();
  let worstLag = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    worstLag = Math.max(worstLag, now - lastTick - 10);
    lastTick = now;
  }, 10);
  const reads: number[] = [];
  const training = m.train(data, { steps: 8, batchSize: 4, cropLength: 8192 });
  let trainingDone = false;
  void training.finally(() => (trainingDone = true));
  while (!trainingDone) {
    const t0 = Date.now();
    await fs.promises.readFile(__filename);
    reads.push(Date.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  await training;
  clearInterval(timer);
  await m.dispose();
  expect(reads.length).toBeGreaterThan(5); // training lasted long enough to measure
  expect(worstLag).toBeLessThan(50);
  expect(Math.max(...reads)).toBeLessThan(50);
});
