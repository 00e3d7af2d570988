/** The e2e harness's processes: bin/tac (and node scripts) run with exactly the environment given. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const TAC_BIN = join(REPO_ROOT, 'bin', 'tac');
export const PACKAGE_VERSION: string = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version;

/** The default alphabet: digits and upper case without 0 O 1 I L. */
export const DEFAULT_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const DEFAULT_CODE_RE = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/;

export type Env = Record<string, string | undefined>;

export interface RunOptions {
  /** Written to the child's stdin, which is then closed. Without it stdin is closed at once. */
  stdin?: string | Buffer;
  /** Extra variables, merged over the environment's; `undefined` removes a variable. */
  env?: Env;
  cwd?: string;
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit code (null only when killed by a signal). */
  code: number | null;
  signal: NodeJS.Signals | null;
  args: string[];
}

export interface JsonResult<T> extends RunResult {
  json: T;
}

/** Variables a developer's shell may have that would change the CLI's behaviour: never inherited. */
const BASE_PASSTHROUGH = ['PATH', 'SYSTEMROOT', 'SystemRoot', 'TMPDIR', 'TEMP', 'TMP'];

/**
 * bin/tac's compiled-code cache, shared by every run of this test process and kept out of the
 * HOME, data and config dirs the tests inspect (it holds compiled code only; compile-cache.test.ts
 * covers it).
 */
const COMPILE_CACHE_HOME = mkdtempSync(join(tmpdir(), 'tac-e2e-cache-'));
process.on('exit', () => rmSync(COMPILE_CACHE_HOME, { recursive: true, force: true }));

/** A minimal, hermetic environment: no NO_COLOR, FORCE_COLOR, TAC_*, NODE_OPTIONS from the parent. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { LANG: 'C.UTF-8', TZ: 'UTC', XDG_CACHE_HOME: COMPILE_CACHE_HOME };
  for (const k of BASE_PASSTHROUGH) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return env;
}

export function mergeEnv(base: Env, extra: Env = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...base, ...extra })) if (v !== undefined) out[k] = v;
  return out;
}

/** Spawns `node bin/tac ...args` with exactly `env`; resolves with its output and exit code. */
export function runTac(args: string[], env: Env, opts: Omit<RunOptions, 'env'> = {}): Promise<RunResult> {
  return spawnNode([TAC_BIN, ...args], env, { ...opts, timeoutMs: opts.timeoutMs ?? 15_000 }).done;
}

export interface Spawned {
  child: ChildProcess;
  done: Promise<RunResult>;
  /** stdout so far. */
  stdout(): string;
}

/** Spawns `node ...args` (bin/tac, or a test worker script) with exactly `env`; `done` settles when it exits. */
export function spawnNode(args: string[], env: Env, opts: { stdin?: string | Buffer; keepStdinOpen?: boolean; timeoutMs?: number; cwd?: string } = {}): Spawned {
  const child = spawn(process.execPath, args, { env: mergeEnv(env), cwd: opts.cwd ?? REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => err.push(c));
  child.stdin!.on('error', () => {});
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  else if (!opts.keepStdinOpen) child.stdin!.end();
  const done = new Promise<RunResult>((res, rej) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, signal, args: args.slice(1) });
    });
  });
  return { child, done, stdout: () => Buffer.concat(out).toString('utf8') };
}

/** Every regular file under `roots`. */
export function filesUnder(...roots: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  for (const r of roots) if (statSync(r, { throwIfNoEntry: false })?.isDirectory()) walk(resolve(r));
  return out;
}

/** Human-readable summary of a run for assertion messages. */
export const describeRun = (r: RunResult): string =>
  `tac ${r.args.join(' ')} -> exit ${r.code}\n--- stdout ---\n${r.stdout}--- stderr ---\n${r.stderr}`;

export function parseJson<T>(r: RunResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON\n${describeRun(r)}`);
  }
}

export function parseJsonLines<T>(text: string): T[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
}
