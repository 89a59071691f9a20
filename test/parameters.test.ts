/**
 * Parameter counts computed from the configuration alone (lib/parameters.ts, what `restoregrad
 * info` prints) equal the native networks' counts, and `info` builds no model to print them.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { createModel, type ModelConfig, type PresetName } from '../lib';
import { parameterCounts } from '../lib/parameters';

const cli = path.join(__dirname, '../dist/cli/main.js');

const cases: [string, PresetName, Partial<ModelConfig>][] = [
  ['speech-tiny', 'speech-tiny', {}],
  ['speech-small', 'speech-small', {}],
  ['image-tiny', 'image-tiny', {}],
  ['image-small', 'image-small', {}],
  ['speech-tiny standard prior', 'speech-tiny', { prior: 'standard' }],
  ['speech-tiny priorgrad', 'speech-tiny', { prior: 'priorgrad' }],
  ['image-tiny standard prior', 'image-tiny', { prior: 'standard' }],
  ['image-tiny priorgrad', 'image-tiny', { prior: 'priorgrad' }],
  ['speech-tiny noisyInput', 'speech-tiny', { noisyInput: true }],
  ['speech-tiny transposed upsampler', 'speech-tiny', { upsampler: 'transposed', hop: 256, nFft: 512 }],
  ['speech-small noisyInput, transposed upsampler', 'speech-small', { noisyInput: true, upsampler: 'transposed' }],
  ['speech-tiny 2 encoder blocks, 5 layers, odd widths', 'speech-tiny', { encoderBlocks: 2, residualLayers: 5, embeddingHidden: 24 }],
  ['image-tiny grey', 'image-tiny', { imageChannels: 1 }],
  [
    'image-tiny 3 levels, 2 blocks, attention at 16 and 4',
    'image-tiny',
    { unetMultipliers: [1, 2, 3], unetResBlocks: 2, attentionResolutions: [16, 4] },
  ],
];

test.each(cases)('%s: the count from the config equals the native model’s', async (_, preset, config) => {
  const model = await createModel({ preset, config, threads: 1 });
  try {
    expect(parameterCounts(model.config)).toEqual(model.parameterCount);
  } finally {
    await model.dispose();
  }
});

test('the base presets have the sizes the native networks had (too large to build in a test)', async () => {
  // Counts that `restoregrad info` printed when it built these models.
  const { presets } = await import('../lib/config');
  expect(parameterCounts(presets['speech-base'])).toEqual({ total: 4_468_085, denoiser: 4_282_691, prior: 92_673, posterior: 92_721 });
  expect(parameterCounts(presets['image-base'])).toEqual({
    total: 110_282_809,
    denoiser: 109_736_835,
    prior: 272_771,
    posterior: 273_203,
  });
});

test('`restoregrad info` prints every preset’s size without building models (under 400 MB)', () => {
  // The CLI runs in this child, not in a tcmalloc-preloaded copy (RESTOREGRAD_NO_PRELOAD), so the
  // child's own peak resident memory is the command's. It is read as VmHWM, the peak of this
  // process's memory map: getrusage's maxRSS also counts the parent's at the fork (Linux keeps
  // the old map's peak across exec), which a jest worker of 600 MB would dominate.
  const script = `process.argv = [process.argv[0], ${JSON.stringify(cli)}, 'info'];
process.on('exit', () => {
  const hwm = require('node:fs').readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\\s+(\\d+) kB/)[1];
  process.stderr.write('maxRSS ' + hwm + '\\n');
});
require(${JSON.stringify(cli)});`;
  const r = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    timeout: 60000,
    env: { ...process.env, RESTOREGRAD_NO_PRELOAD: '1' },
  });
  expect(r.status).toBe(0);
  for (const name of ['speech-tiny', 'speech-small', 'speech-base', 'image-tiny', 'image-small', 'image-base'])
    expect(r.stdout).toMatch(new RegExp(`^${name} .*denoiser [\\d,]+ {2}prior [\\d,]+ {2}posterior [\\d,]+$`, 'm'));
  expect(r.stdout).toContain('denoiser 109,736,835');
  const kb = Number(r.stderr.match(/maxRSS (\d+)/)?.[1]);
  expect(kb).toBeGreaterThan(0);
  expect(kb).toBeLessThan(400 * 1024);
});
