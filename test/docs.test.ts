/** The committed API reference (docs/api/) is what typedoc makes of the sources now, without warnings. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

test('docs/api/ matches the TSDoc comments (npm run docs:check)', () => {
  const r = spawnSync(process.execPath, [path.join(__dirname, '../scripts/docs-check.js')], { encoding: 'utf8', timeout: 60000 });
  expect(`${r.stderr}`).toBe('');
  expect(r.status).toBe(0);
});
