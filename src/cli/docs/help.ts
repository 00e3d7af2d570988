/**
 * `tac --help`, prebuilt: `npm run build` runs this file to write dist/cli/help.txt, the root help
 * exactly as commander prints it to a pipe (80 columns, no colour). bin/tac prints that file for a
 * bare `--help` when standard output is not a terminal, without loading the CLI, so it starts as
 * fast as node itself; it falls back to commander when the file is older than the bundle,
 * dist/cli/tac.cjs (the tree was rebuilt without it). test/docs/help-prebuilt.test.ts checks it matches commander.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../commands/index.js';
import { buildProgram } from '../main.js';

/** Where the build writes it, relative to dist/cli (bin/tac reads the same path). */
export const HELP_FILE = 'help.txt';

export function rootHelp(): string {
  let out = '';
  const sink = { write: (s: string) => (out += s) };
  const program = buildProgram(COMMANDS, { stdout: sink, stderr: sink, stdin: Readable.from([]) }, async () => undefined);
  // As on a pipe, whatever terminal runs the build: commander's default width (80), no colour.
  program.configureOutput({ getOutHelpWidth: () => 80, getOutHasColors: () => false });
  program.outputHelp();
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', HELP_FILE), rootHelp());
}
