/**
 * The examples and the type-level checks of test/types compile against the package's declaration
 * files (dist/*.d.ts, built by `npm run compile:ts`, which `npm test` runs first).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { readProject, typeErrors } from './typecheck';

const project = readProject(path.join(__dirname, 'types/tsconfig.json'));

test('examples/ and test/types/ compile against the published types', () => {
  expect(fs.existsSync(path.join(__dirname, '../dist/index.d.ts'))).toBe(true);
  const names = project.files.map((f) => path.relative(path.join(__dirname, '..'), f)).sort();
  expect(names).toEqual(expect.arrayContaining(['examples/http-service.ts', 'examples/train.ts', 'test/types/public-api.ts']));
  expect(typeErrors(project.files, project.options)).toEqual([]);
});
