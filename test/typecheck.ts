/** Type checking with the compiler API, for the tests of the public types, examples and README. */
import * as path from 'node:path';

import * as ts from 'typescript';

const host = ts.sys;

/** The compiler options and files of a tsconfig.json. */
export function readProject(configFile: string): { options: ts.CompilerOptions; files: string[] } {
  const { config, error } = ts.readConfigFile(configFile, host.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, host, path.dirname(configFile));
  return { options: parsed.options, files: parsed.fileNames };
}

/** Every diagnostic of compiling `files`, as `file(line,col): message` lines. */
export function typeErrors(files: readonly string[], options: ts.CompilerOptions): string[] {
  const program = ts.createProgram(files, { ...options, noEmit: true });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return message;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${path.relative(process.cwd(), d.file.fileName)}(${line + 1},${character + 1}): ${message}`;
  });
}
