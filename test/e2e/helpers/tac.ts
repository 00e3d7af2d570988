/**
 * End-to-end harness: runs the BUILT `bin/tac` as a real child process (piped, so never a TTY)
 * against a fresh temporary HOME / XDG_DATA_HOME / XDG_CONFIG_HOME / TAC_DB.
 *
 * Every suite is written once against a `TacEnv` and run once per backend variant by
 * `describeBackends`. Only the 'local' variant (embedded SQLite in a temp dir) exists today; a
 * 'remote' variant only has to implement `BackendVariant.start` (start `tac serve` on its own temp
 * dirs, create an agent, and return a client env with TAC_SERVER / TAC_CLIENT_ID /
 * TAC_CLIENT_SECRET) and push itself onto `BACKENDS`. Tests use `env.tac` for the command under
 * test and `env.admin` for setup (users add, policy set, ...), so a remote variant may route setup
 * through an admin agent or straight to the server's database.
 *
 * Select variants with TAC_E2E_BACKENDS=local,remote (default: all registered).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe } from 'vitest';

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

/** A minimal, hermetic environment: no NO_COLOR, FORCE_COLOR, TAC_*, NODE_OPTIONS from the parent. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { LANG: 'C.UTF-8', TZ: 'UTC' };
  for (const k of BASE_PASSTHROUGH) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return env;
}

function mergeEnv(base: Env, extra: Env = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...base, ...extra })) if (v !== undefined) out[k] = v;
  return out;
}

/** Spawns `node bin/tac ...args` with exactly `env`; resolves with its output and exit code. */
export function runTac(args: string[], env: Env, opts: Omit<RunOptions, 'env'> = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [TAC_BIN, ...args], {
      env: mergeEnv(env),
      cwd: opts.cwd ?? REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, signal, args });
    });
    // The child may exit before reading stdin (e.g. usage errors): ignore EPIPE.
    child.stdin.on('error', () => {});
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else child.stdin.end();
  });
}

/** Human-readable summary of a run for assertion messages. */
export const describeRun = (r: RunResult): string =>
  `tac ${r.args.join(' ')} -> exit ${r.code}\n--- stdout ---\n${r.stdout}--- stderr ---\n${r.stderr}`;

function parseJson<T>(r: RunResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON\n${describeRun(r)}`);
  }
}

export function parseJsonLines<T>(text: string): T[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
}

// ---- backends ------------------------------------------------------------------------------------

/** What a backend variant provides once started in a temp root. */
export interface BackendInstance {
  /** Environment of the CLI under test (`env.tac`). */
  clientEnv: Record<string, string>;
  /** Environment for setup commands (`env.admin`); may equal clientEnv. */
  adminEnv: Record<string, string>;
  /** The audit `actor` recorded for commands run with clientEnv. */
  actor: string;
  /** Directories whose files must never contain an issued code (database, WAL, config, server state). */
  secretRoots: string[];
  /** Paths of the database and key files, when the variant exposes them (local only). */
  paths?: { db: string; keyFile: string; dataDir: string; configDir: string };
  stop(): Promise<void>;
}

export interface BackendVariant {
  name: string;
  start(root: string): Promise<BackendInstance>;
}

/** Temp dirs for one environment: HOME, XDG data/config, and a TAC_DB in the data dir. */
export function localDirs(root: string) {
  const home = join(root, 'home');
  const data = join(root, 'xdg-data');
  const config = join(root, 'xdg-config');
  for (const d of [home, data, config]) mkdirSync(d, { recursive: true });
  return {
    home,
    data,
    config,
    db: join(data, 'tac', 'tac.db'),
    keyFile: join(config, 'tac', 'hmac.key'),
    env: { ...baseEnv(), HOME: home, XDG_DATA_HOME: data, XDG_CONFIG_HOME: config, TAC_DB: join(data, 'tac', 'tac.db') },
  };
}

export const localBackend: BackendVariant = {
  name: 'local',
  async start(root) {
    const d = localDirs(root);
    return {
      clientEnv: d.env,
      adminEnv: d.env,
      actor: userInfo().username,
      // Not the work dir: files a test writes there (e.g. guests import --out) hold codes by design.
      secretRoots: [d.home, d.data, d.config],
      paths: { db: d.db, keyFile: d.keyFile, dataDir: join(d.data, 'tac'), configDir: join(d.config, 'tac') },
      async stop() {},
    };
  },
};

/** Registered variants; a remote variant is added here. */
export const BACKENDS: BackendVariant[] = [localBackend];

function selectedBackends(only?: string[]): BackendVariant[] {
  const wanted = process.env.TAC_E2E_BACKENDS?.split(',').map((s) => s.trim()).filter(Boolean);
  return BACKENDS.filter((b) => (!wanted || wanted.includes(b.name)) && (!only || only.includes(b.name)));
}

// ---- the environment a test sees ------------------------------------------------------------------

export interface UserJson {
  id: string;
  username: string;
  email: string;
  phone: string | null;
  name: string | null;
  guest: boolean;
  disabled: boolean;
  failedAttempts: number;
  lockedUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface IssuedJson {
  id: string;
  code: string;
  status: string;
  startsAt: string;
  expiresAt: string;
  oneTime: boolean;
  user: { id: string; username: string; email: string; name: string | null; guest: boolean };
}

export interface TacJson {
  id: string;
  userId: string;
  status: string;
  createdAt: string;
  startsAt: string;
  expiresAt: string;
  oneTime: boolean;
  useCount: number;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedReason: string | null;
  reason: string | null;
  createdBy: string;
  user?: IssuedJson['user'] | null;
}

export interface AuditJson {
  id: number;
  at: string;
  actor: string;
  action: string;
  userId: string | null;
  tacId: string | null;
  outcome: string;
  reason: string | null;
  details: Record<string, unknown>;
}

let counter = 0;

/**
 * One isolated environment (temp dirs + backend). Created synchronously by `describeBackends`,
 * started in `beforeAll`, so tests can close over it.
 */
export class TacEnv {
  root = '';
  private instance?: BackendInstance;
  private children: TacEnv[] = [];

  constructor(readonly variant: BackendVariant, private readonly label = 'env') {}

  get backend(): string {
    return this.variant.name;
  }

  private get inst(): BackendInstance {
    if (!this.instance) throw new Error('TacEnv used before start() (use it inside tests or beforeAll)');
    return this.instance;
  }

  /** The environment variables of the CLI under test. */
  get env(): Record<string, string> {
    return this.inst.clientEnv;
  }

  get actor(): string {
    return this.inst.actor;
  }

  get paths(): NonNullable<BackendInstance['paths']> {
    if (!this.inst.paths) throw new Error(`the ${this.backend} backend exposes no local paths`);
    return this.inst.paths;
  }

  async start(): Promise<this> {
    this.root = mkdtempSync(join(tmpdir(), `tac-e2e-${this.label.replace(/[^a-z0-9]+/gi, '-')}-${process.pid}-${++counter}-`));
    this.instance = await this.variant.start(this.root);
    return this;
  }

  async stop(): Promise<void> {
    for (const c of this.children.splice(0)) await c.stop();
    await this.instance?.stop();
    this.instance = undefined;
    if (this.root) rmSync(this.root, { recursive: true, force: true });
  }

  /** A fresh environment of the same backend, stopped with this one. For tests that need isolation. */
  async isolated(label = 'isolated'): Promise<TacEnv> {
    const child = await new TacEnv(this.variant, `${this.label}-${label}`).start();
    this.children.push(child);
    return child;
  }

  /** Runs the command under test. */
  tac(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return runTac(args, { ...this.env, ...opts.env }, opts);
  }

  /** Runs with --json and parses stdout (whatever the exit code; check `code` yourself). */
  async tacJson<T = unknown>(args: string[], opts: RunOptions = {}): Promise<JsonResult<T>> {
    const r = await this.tac([...args, '--json'], opts);
    return { ...r, json: parseJson<T>(r) };
  }

  /** Runs with --json and parses stdout as JSON Lines. */
  async tacJsonLines<T = unknown>(args: string[], opts: RunOptions = {}): Promise<JsonResult<T[]>> {
    const r = await this.tac([...args, '--json'], opts);
    return { ...r, json: parseJsonLines<T>(r.stdout) };
  }

  /** A setup command: must succeed (throws with its output otherwise). */
  async admin(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const r = await runTac(args, { ...this.inst.adminEnv, ...opts.env }, opts);
    if (r.code !== 0) throw new Error(`setup command failed\n${describeRun(r)}`);
    return r;
  }

  async adminJson<T = unknown>(args: string[], opts: RunOptions = {}): Promise<T> {
    return parseJson<T>(await this.admin([...args, '--json'], opts));
  }

  // ---- conveniences -----------------------------------------------------------------------------

  addUser(username: string, extra: { email?: string; phone?: string; name?: string; guest?: boolean } = {}): Promise<UserJson> {
    const args = ['users', 'add', '--username', username, '--email', extra.email ?? `${username}@example.com`];
    if (extra.phone) args.push('--phone', extra.phone);
    if (extra.name) args.push('--name', extra.name);
    if (extra.guest) args.push('--guest');
    return this.adminJson<UserJson>(args);
  }

  setPolicy(...flags: string[]): Promise<unknown> {
    return this.adminJson(['policy', 'set', ...flags]);
  }

  /** Issues a code with the command under test and checks it succeeded. */
  async issue(user: string, ...flags: string[]): Promise<IssuedJson> {
    const r = await this.tacJson<IssuedJson>(['generate', '--verified-by', 'callback', '--user', user, ...flags]);
    if (r.code !== 0) throw new Error(`generate failed\n${describeRun(r)}`);
    return r.json;
  }

  /** `verify --user USER` with the code on stdin (plus a newline). */
  verify(user: string, code: string, ...flags: string[]): Promise<RunResult> {
    return this.tac(['verify', '--user', user, ...flags], { stdin: `${code}\n` });
  }

  verifyJson<T = { valid: boolean; reason?: string }>(user: string, code: string): Promise<JsonResult<T>> {
    return this.tacJson<T>(['verify', '--user', user], { stdin: `${code}\n` });
  }

  async listJson(...flags: string[]): Promise<TacJson[]> {
    const r = await this.tacJson<TacJson[]>(['list', ...flags]);
    if (r.code !== 0) throw new Error(`list failed\n${describeRun(r)}`);
    return r.json;
  }

  async auditJson(...flags: string[]): Promise<AuditJson[]> {
    const r = await this.tacJsonLines<AuditJson>(['audit', ...flags]);
    if (r.code !== 0) throw new Error(`audit failed\n${describeRun(r)}`);
    return r.json;
  }

  /** Writes a file in this environment's work dir and returns its path. */
  file(name: string, content: string | Buffer): string {
    const p = join(this.root, 'work', name);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    return p;
  }

  /** A path in the work dir that does not exist yet. */
  newPath(name: string): string {
    const dir = join(this.root, 'work');
    mkdirSync(dir, { recursive: true });
    return join(dir, name);
  }

  /** Every regular file under the secret roots (database, -wal, -shm, key, config...). */
  stateFiles(): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) out.push(p);
      }
    };
    for (const r of this.inst.secretRoots) if (statSync(r, { throwIfNoEntry: false })?.isDirectory()) walk(r);
    return out;
  }
}

/**
 * Declares `name` once per backend variant. `fn` gets a TacEnv started in beforeAll and shared by
 * the tests of the block (use `env.isolated()` inside a test when it needs a clean slate).
 */
export function describeBackends(name: string, fn: (env: TacEnv) => void, opts: { only?: string[] } = {}): void {
  const variants = selectedBackends(opts.only);
  if (!variants.length) {
    describe.skip(`${name} (no selected backend)`, () => {});
    return;
  }
  for (const variant of variants) {
    describe(`${name} [${variant.name}]`, () => {
      const env = new TacEnv(variant, name);
      beforeAll(async () => {
        await env.start();
      });
      afterAll(async () => {
        await env.stop();
      });
      fn(env);
    });
  }
}
