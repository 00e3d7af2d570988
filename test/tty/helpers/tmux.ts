/**
 * Pseudo-terminal harness for the interactive flows: runs the BUILT `bin/tac` inside a detached
 * tmux session (a real pty for stdin, stdout and stderr), types keys with `send-keys` and reads
 * the screen with `capture-pane`. Assertions poll the screen (`waitFor`); they never rely on a
 * fixed sleep.
 *
 * Each test file uses its own tmux sockets (`tmux -L <file>-<pid>-<n>`), so files running in
 * parallel never see each other's sessions. Every `start` gets a fresh server on a new socket: a
 * server still shutting down after `kill-server` can never swallow the next session ("server
 * exited unexpectedly"). `kill()` ends the servers (call it in afterEach and afterAll). tmux is
 * started with `-f /dev/null` so a developer's ~/.tmux.conf cannot change the size, keys or shell.
 *
 * The command runs under `env -i` with only the variables given: no CI, NO_COLOR, FORCE_COLOR,
 * TAC_* or NODE_OPTIONS leak in from the test runner. After the command, the pane prints
 * `EXIT=<code>` and sleeps, so the final screen and the exit code can both be read.
 *
 * Setup and checks that must not be interactive go through `runTac` (piped: never a TTY).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const TAC_BIN = join(REPO_ROOT, 'bin', 'tac');
export const DEFAULT_TIMEOUT_MS = 15_000;
const POLL_MS = 50;

export type Env = Record<string, string | undefined>;

/** Fails early, with the fix, when the harness cannot work. */
export function checkPrerequisites(): void {
  if (spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status !== 0) {
    throw new Error('tmux is required for test/tty (apt-get install tmux; .ci/run installs it)');
  }
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: build first (npx tsc -p .)');
  }
}

// ---- a hermetic environment --------------------------------------------------------------------

export interface TacDirs {
  root: string;
  home: string;
  data: string;
  config: string;
  /** The variables every run gets: PATH, HOME, XDG dirs, LANG, TZ. */
  env: Record<string, string>;
  cleanup(): void;
}

/** Fresh temporary HOME and XDG data/config dirs (the default database lives in XDG_DATA_HOME). */
export function makeDirs(prefix = 'tac-tty-'): TacDirs {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const home = join(root, 'home');
  const data = join(root, 'xdg-data');
  const config = join(root, 'xdg-config');
  for (const d of [home, data, config]) mkdirSync(d, { recursive: true });
  return {
    root,
    home,
    data,
    config,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_DATA_HOME: data, XDG_CONFIG_HOME: config, LANG: 'C.UTF-8', TZ: 'UTC' },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

const clean = (env: Env): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
};

// ---- piped runs (setup, checks, the non-TTY guard) -----------------------------------------------

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
  args: string[];
}

/** `node bin/tac ...args` with exactly `env`, all three streams piped (never a TTY). */
export function runTac(args: string[], env: Env, opts: { stdin?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [TAC_BIN, ...args], { env: clean(env), cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, args });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.stdin ?? '');
  });
}

export const describeRun = (r: RunResult): string => `tac ${r.args.join(' ')} -> exit ${r.code}\n--- stdout ---\n${r.stdout}--- stderr ---\n${r.stderr}`;

/** Runs piped and fails with the whole output unless the exit code is `expected`. */
export async function runOk(args: string[], env: Env, opts: { stdin?: string; expected?: number } = {}): Promise<RunResult> {
  const r = await runTac(args, env, opts);
  if (r.code !== (opts.expected ?? 0)) throw new Error(`unexpected exit\n${describeRun(r)}`);
  return r;
}

// ---- tmux ---------------------------------------------------------------------------------------

/** POSIX single-quoting for the shell command tmux runs. */
export const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export interface StartOptions {
  /** Arguments after `node bin/tac`. */
  args: string[];
  /** The complete environment of the command (nothing else is inherited). TERM is added. */
  env: Env;
  width?: number;
  height?: number;
  /** Redirect stdin from this file (e.g. /dev/null): stdout and stderr stay the terminal. */
  stdinFrom?: string;
}

/**
 * The tmux servers of one test file. `start` opens a new server and session running one command;
 * a file may start several in turn (the previous server is killed first).
 */
export class Tmux {
  /** Prefix of this file's sockets. */
  readonly prefix: string;
  private socket?: string;
  /** Sockets of the servers started, with their files (tmux leaves them behind on kill-server). */
  private readonly started: { socket: string; path?: string }[] = [];
  private counter = 0;
  /** The one session of each server. */
  private readonly target = 'tac';

  /** `name` identifies the test file (e.g. import.meta.url); the pid keeps parallel runs apart. */
  constructor(name: string) {
    const stem = basename(name).replace(/\.test\.[cm]?[jt]s$/, '').replace(/[^\w-]/g, '_').slice(0, 40);
    this.prefix = `tac-tty-${stem}-${process.pid}`;
  }

  private tmux(args: string[], opts: { allowFail?: boolean; socket?: string } = {}): string {
    const socket = opts.socket ?? this.socket;
    if (!socket) throw new Error('no tmux session: call start() first');
    // Without TMUX: run from inside a developer's tmux, the test's server must still be its own.
    const r = spawnSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env: { ...process.env, TMUX: undefined } });
    if (r.status !== 0 && !opts.allowFail) throw new Error(`tmux ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout ?? '';
  }

  /** Starts `node bin/tac ...args` in a fresh detached session of a fixed size. */
  start(opts: StartOptions): void {
    this.kill();
    this.socket = `${this.prefix}-${++this.counter}`;
    const started: { socket: string; path?: string } = { socket: this.socket };
    this.started.push(started);
    const env = clean({ ...opts.env, TERM: 'xterm-256color' });
    const assignments = Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`));
    const command = [
      'cd', shellQuote(REPO_ROOT), '&&',
      'env', '-i', ...assignments, shellQuote(process.execPath), shellQuote(TAC_BIN), ...opts.args.map(shellQuote),
      ...(opts.stdinFrom ? ['<', shellQuote(opts.stdinFrom)] : []), ';',
      'echo', '"EXIT=$?"', ';', 'sleep', '600',
    ].join(' ');
    this.tmux(['new-session', '-d', '-s', this.target, '-x', String(opts.width ?? 120), '-y', String(opts.height ?? 40), command]);
    // Keep a dead pane readable, so a crash shows up in the failure message instead of "no session".
    this.tmux(['set-option', '-t', this.target, 'remain-on-exit', 'on'], { allowFail: true });
    started.path = this.tmux(['display-message', '-p', '-t', this.target, '#{socket_path}'], { allowFail: true }).trim() || undefined;
  }

  /** Key names as tmux understands them: 'Enter', 'Down', 'C-c', 'y'. */
  sendKeys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', this.target, ...keys]);
  }

  /** Literal text, typed as is (no key-name lookup). */
  type(text: string): void {
    this.tmux(['send-keys', '-t', this.target, '-l', text]);
  }

  /** The visible screen plus scroll-back, wrapped lines joined, trailing blank lines dropped. */
  capture(): string {
    const text = this.tmux(['capture-pane', '-p', '-J', '-t', this.target, '-S', '-500'], { allowFail: true });
    return text.replace(/\s+$/, '');
  }

  /**
   * Polls the screen until `re` matches (or `until(screen)` is true); returns the screen. Fails
   * with the last screen.
   */
  async waitFor(until: RegExp | ((screen: string) => boolean), timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    const ok = typeof until === 'function' ? until : (s: string) => until.test(s);
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    for (;;) {
      screen = this.capture();
      if (ok(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${until.toString()}\n--- screen ---\n${screen}\n--------------`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** Waits for the command to end; returns its exit code and the final screen. */
  async waitForExit(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<{ code: number; screen: string }> {
    const screen = await this.waitFor(/^EXIT=\d+$/m, timeoutMs);
    return { code: Number(/^EXIT=(\d+)$/m.exec(screen)![1]), screen };
  }

  /** Starts a command that asks a y/N question, answers `key`, and returns its exit code and final screen. */
  async answer(opts: StartOptions, question: RegExp, key: 'y' | 'n'): Promise<{ code: number; screen: string }> {
    this.start(opts);
    await this.waitFor(question);
    this.type(key);
    await this.waitFor(new RegExp(`\\(y/N\\) ${key}$`, 'm'));
    this.sendKeys('Enter');
    return this.waitForExit();
  }

  /** Ends this file's tmux servers and everything in them. Safe to call when nothing runs. */
  kill(): void {
    this.socket = undefined;
    for (const { socket, path } of this.started.splice(0)) {
      this.tmux(['kill-server'], { socket, allowFail: true });
      if (path && basename(path) === socket) rmSync(path, { force: true });
    }
  }
}

/** Screen lines after the last line matching `re` (e.g. what a command printed after a prompt). */
export function linesAfter(screen: string, re: RegExp): string[] {
  const lines = screen.split('\n');
  let idx = -1;
  lines.forEach((l, i) => {
    if (re.test(l)) idx = i;
  });
  if (idx < 0) throw new Error(`no line matches ${re}\n--- screen ---\n${screen}`);
  return lines.slice(idx + 1);
}
