import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

import { createModel } from '../lib';
import { native } from '../lib/native';

const root = path.join(__dirname, '..');

/** buildInfo().blockCache of a fresh process with `env`, after one restoration. */
function cacheInChild(env: Record<string, string>): { enabled: boolean; hits?: number } {
  const script = `
    const { createModel } = require('./dist');
    const { native } = require('./dist/native');
    (async () => {
      const m = await createModel({ preset: 'speech-tiny', seed: 1, threads: 1 });
      const x = Float32Array.from({ length: 64000 }, (_, t) => 0.1 * Math.sin(t * 0.05));
      for (let i = 0; i < 2; i++) await m.restore(x, { steps: 3, seed: 0 });
      await m.dispose();
      console.log(JSON.stringify(native().buildInfo().blockCache));
    })();`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}');
}

describe('block cache', () => {
  test('is installed when the addon loads, and bounded', async () => {
    const model = await createModel({ preset: 'speech-tiny', seed: 1, threads: 1 });
    await model.restore(new Float32Array(32000).fill(0.05), { steps: 3, seed: 0 });
    await model.dispose();
    const cache = native().buildInfo().blockCache;
    expect(cache.enabled).toBe(true);
    expect(cache.cachedBytes).toBeLessThanOrEqual(cache.maxCachedBytes ?? 0);
    expect(cache.maxCachedBytes).toBeGreaterThan(0);
  });

  test('serves repeated restorations from cached blocks; RESTOREGRAD_ALLOCATOR=system turns it off', () => {
    expect(cacheInChild({}).hits).toBeGreaterThan(0);
    expect(cacheInChild({ RESTOREGRAD_ALLOCATOR: 'system' })).toEqual({ enabled: false });
  });
});
