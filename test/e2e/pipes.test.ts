/**
 * A reader that closes standard output early (`tac list | head -1`) ends the command quietly with
 * exit 141 (128 + SIGPIPE, what shells report for tools SIGPIPE kills): no EPIPE stack trace.
 * Real pipes: bin/tac's stdout goes to `head -1` in bash (the output is larger than a pipe's
 * 64 KiB buffer, so tac is still writing when head exits), or to a pipe whose read end this
 * process closes before bin/tac writes anything (deterministic for short output such as help).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/core/errors.js';
import { localDirs, runTac, TAC_BIN, type Env } from './helpers/tac.js';

interface Closed {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * `tac ARGS | head -1` with pipefail, so the exit status is tac's (head's is 0); or tac with its
 * stdout's reader gone before it starts.
 */
function closeEarly(args: string[], env: Env, reader: 'head' | 'gone'): Promise<Closed> {
  const child =
    reader === 'head'
      ? spawn('bash', ['-o', 'pipefail', '-c', '"$0" "$@" | head -n 1', process.execPath, TAC_BIN, ...args], { env: env as NodeJS.ProcessEnv })
      : spawn(process.execPath, [TAC_BIN, ...args], { env: env as NodeJS.ProcessEnv });
  child.stdin.end();
  if (reader === 'gone') child.stdout.destroy();
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
}

describe('a closed pipe ends the command quietly, exit 141', () => {
  const root = mkdtempSync(join(tmpdir(), 'tac-pipes-'));
  const { env } = localDirs(root);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  beforeAll(async () => {
    // 1,200 guests with a TAC each: `list --limit 1000` prints ~150 KB, more than a pipe holds.
    const csv = join(root, 'guests.csv');
    writeFileSync(csv, `email,name\n${Array.from({ length: 1200 }, (_, i) => `guest${i}@example.com,Guest Number ${i}`).join('\n')}\n`);
    const r = await runTac(['guests', 'import', csv, '--out', join(root, 'codes.jsonl')], env, { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
  }, 90_000);

  const expectQuiet = (r: Closed) => {
    expect(r.stderr, 'no stack trace, nothing at all').toBe('');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(EXIT.closedPipe);
  };

  for (const args of [['list', '--limit', '1000'], ['list', '--limit', '1000', '--json'], ['users', 'search', '--limit', '1000']]) {
    it(`tac ${args.join(' ')} | head -1`, async () => {
      const r = await closeEarly(args, env, 'head');
      expect(r.stdout).toMatch(/^.+\n$/);
      expectQuiet(r);
    });
  }

  for (const args of [['help', 'generate'], ['users', 'search', '--help'], ['list', '--limit', '5'], ['--help'], ['--version']]) {
    it(`tac ${args.join(' ')} with the reader already gone`, async () => {
      expectQuiet(await closeEarly(args, env, 'gone'));
    });
  }
});
