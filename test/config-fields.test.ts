// One config table: the TypeScript types and defaults are generated from the native core's field
// table, and both sides refuse the same configs with the core's words.
import * as fs from 'node:fs';
import { ConfigError, presets, resolveConfig } from '../lib';
import { native } from '../lib/native';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { render, target } = require('../scripts/gen-config-fields.js') as { render(schema: unknown): string; target: string };
const schema = (native() as unknown as { configSchema(): { fields: { name: string }[] } }).configSchema();

test('lib/config-fields.ts is what the native table generates (else run node scripts/gen-config-fields.js)', () => {
  expect(fs.readFileSync(target, 'utf8')).toBe(render(schema));
});

test('every preset holds exactly the table fields, in its order, and the core accepts it', () => {
  const names = schema.fields.map((f) => f.name);
  for (const [name, config] of Object.entries(presets)) {
    expect(Object.keys(config)).toEqual(names);
    expect(JSON.parse(native().validateConfig(JSON.stringify(config)))).toEqual(config);
    expect(resolveConfig(name as keyof typeof presets)).toEqual(config);
  }
});

test.each([
  [{ emaDecay: 1 }, 'config.emaDecay must be a number in [0, 1), got 1'],
  [{ outputBlend: 1 }, 'config.outputBlend must be a number in [0, 1), got 1'],
  [{ logVarMin: 0 }, 'config.logVarMin must be a number in [-30, 0), got 0'],
  [{ betaStart: 0.5, betaEnd: 0.1 }, 'config.betaStart must not exceed betaEnd'],
  [{ residualLayers: 2.5 }, 'config.residualLayers must be an integer in [1, 128], got 2.5'],
  [{ lr: Number.NaN }, 'config.lr must be a number in (0, 1), got null'],
  [{ fastBetas: 0.5 as unknown as number[] }, 'config.fastBetas must be a list of 1 to 10000 numbers in (0, 1), got 0.5'],
  [{ upsampler: 'linear' as 'repeat' }, `config.upsampler must be one of 'transposed', 'repeat', got "linear"`],
  [{ noisyInput: 1 as unknown as boolean }, 'config.noisyInput must be true or false, got 1'],
  [{ hop: 2048 }, 'config.hop must not exceed nFft'],
])('%j is refused by both sides with the core message', (overrides, message) => {
  expect(() => resolveConfig('speech-small', overrides as object)).toThrow(new ConfigError(message));
  expect(() => native().validateConfig(JSON.stringify({ ...presets['speech-small'], ...overrides }))).toThrow(message);
});
