/**
 * No import cycles between the modules of lib/. A cycle makes one of its modules run before
 * another it needs has finished loading, so that an import seen from it is undefined at load time
 * (a class to extend, a constant to read) depending on which module was required first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as ts from 'typescript';

const lib = path.join(__dirname, '../lib');
const files = (fs.readdirSync(lib, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => path.join(lib, f))
  .sort();

/** The lib/ source file an import specifier names, or undefined for a package or a non-TypeScript file. */
function resolve(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => files.includes(f));
}

type Graph = Map<string, string[]>;

/**
 * What each module loads at run time: the `require`s of its CommonJS output. Type-only imports
 * (`import type`, `export type`, `import { type X }`, and imports used in types alone) are left out,
 * as the compiler leaves them out: they vanish at run time and cannot make a loading cycle.
 */
function runtimeGraph(): Graph {
  const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  return new Map(
    files.map((file) => {
      const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions, fileName: file });
      const required = [...outputText.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => resolve(file, m[1]));
      return [file, [...new Set(required.filter((f) => f !== undefined))]];
    }),
  );
}

/** Every module each module names in an `import` or `export ... from`, type-only ones included. */
function declaredGraph(): Graph {
  return new Map(
    files.map((file) => {
      const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
      const named = source.statements.flatMap((s) =>
        (ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier)
          ? [resolve(file, s.moduleSpecifier.text)]
          : [],
      );
      return [file, [...new Set(named.filter((f) => f !== undefined))]];
    }),
  );
}

/** The cycles a depth-first search meets, one per back edge, each as `a.ts -> b.ts -> a.ts`. */
function cycles(graph: Graph): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open')
        found.push([...stack.slice(stack.indexOf(next)), next].map((f) => path.relative(lib, f)).join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

test('the search finds the modules and their imports, and would see a cycle', () => {
  const graph = runtimeGraph();
  expect(files.map((f) => path.relative(lib, f))).toEqual(
    expect.arrayContaining(['index.ts', 'model.ts', 'image/model.ts', 'cli/main.ts']),
  );
  expect(graph.get(path.join(lib, 'model.ts'))).toContain(path.join(lib, 'batcher.ts'));
  // native.ts imports StepStats from types.ts as a type only: an edge of the declared graph alone.
  expect(graph.get(path.join(lib, 'native.ts'))).not.toContain(path.join(lib, 'types.ts'));
  expect(declaredGraph().get(path.join(lib, 'native.ts'))).toContain(path.join(lib, 'types.ts'));
  const a = path.join(lib, 'a.ts');
  const b = path.join(lib, 'b.ts');
  expect(
    cycles(
      new Map([
        [a, [b]],
        [b, [a]],
      ]),
    ),
  ).toEqual(['a.ts -> b.ts -> a.ts']);
});

test('no module of lib/ requires itself through others at run time', () => {
  expect(cycles(runtimeGraph())).toEqual([]);
});

test('no import cycles even through type-only imports (a shared type goes in a module of its own, like lib/types.ts)', () => {
  // Harmless at run time, but a type cycle ties the modules together for readers and tools; the
  // model, image model, batcher and native boundary used to form one through StepStats.
  expect(cycles(declaredGraph())).toEqual([]);
});
