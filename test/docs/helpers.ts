/** Shared by the docs tests: paths, running the built bin/tac, and finding optional tools. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const TAC_BIN = join(ROOT, 'bin', 'tac');

/** Is a program on PATH? */
export function has(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).status === 0;
}

export interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs the built CLI with a hermetic environment (temporary HOME and XDG dirs, no TAC_*). */
export function tac(args: string[]): Run {
  const home = mkdtempSync(join(tmpdir(), 'tac-docs-'));
  const r = spawnSync(process.execPath, [TAC_BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 15_000,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      HOME: home,
      XDG_DATA_HOME: join(home, 'data'),
      XDG_CONFIG_HOME: join(home, 'config'),
      TAC_KEYCHAIN: 'off',
      CI: '1',
    },
  });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}
