/**
 * End-to-end harness: runs the BUILT `bin/tac` as a real child process (piped, so never a TTY)
 * against a fresh temporary HOME / XDG_DATA_HOME / XDG_CONFIG_HOME / TAC_DB.
 *
 * Every suite is written once against a `TacEnv` and run once per backend variant by
 * `describeBackends`:
 *  - 'local': the embedded SQLite database in a temp dir (TAC_DB);
 *  - 'remote': a real `tac serve --port 0` child process on its own temp dirs, with one agent per
 *    role created by `tac agents create` on its database; the CLI under test runs with only
 *    TAC_SERVER / TAC_CLIENT_ID / TAC_CLIENT_SECRET of the admin agent (no TAC_DB, its own empty
 *    HOME and XDG dirs), exactly as a CI job would. Setup commands (`env.admin`) use the same agent;
 *  - 'postgres': the same `tac serve` on a PostgreSQL database of the shared test cluster.
 * Tests use `env.tac` for the command under test and `env.admin` for setup (users add, policy
 * set, ...), so the same assertions hold for all: output and exit codes must match.
 *
 * Select variants with TAC_E2E_BACKENDS=local,remote,postgres (default: all three; postgres only
 * where the test cluster runs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe } from 'vitest';
import { createTestDatabase, pgAdminUrl } from '../../pg/db.js';

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

function mergeEnv(base: Env, extra: Env = {}): Record<string, string> {
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
  /** The server and its agents (remote only). */
  remote?: RemoteInfo;
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

// ---- tac serve ------------------------------------------------------------------------------------

export interface ServeProcess {
  /** The URL `tac serve` printed on the first line of stdout. */
  url: string;
  child: ChildProcess;
  /** Everything written to stdout / stderr so far (stderr is the request log). */
  stdout(): string;
  stderr(): string;
  /** The server's JSON log lines so far, parsed. */
  log(): Record<string, unknown>[];
  /**
   * Waits until the request log holds a line for each of these request ids (the server writes it
   * just after the response, so a client may see the response first). Without ids, makes a
   * request of its own (GET /healthz) and waits for its line: every earlier line is there too.
   */
  flushLog(...reqIds: string[]): Promise<void>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (SIGTERM by default) and waits for the exit; SIGKILLs after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Servers still running when the test process exits (a crash, an interrupted run) are killed. */
const liveServers = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of liveServers) c.kill('SIGKILL');
});

/** Server start-up is slow on a loaded CI machine: be generous, this is not a timing assertion. */
export const SERVE_START_TIMEOUT_MS = 60_000;

/**
 * Starts `bin/tac serve ...args` and resolves once it printed its URL (the first stdout line).
 * Rejects, with the output, when the process exits first or stays silent for `timeoutMs`.
 */
export function startServe(args: string[], env: Env, opts: { timeoutMs?: number } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [TAC_BIN, 'serve', ...args], { env: mergeEnv(env), cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  liveServers.add(child);
  child.on('close', () => liveServers.delete(child));
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.on('close', (code, signal) => res({ code, signal }));
  });
  let url = '';
  const proc: Omit<ServeProcess, 'url'> = {
    child,
    stdout: () => out,
    stderr: () => err,
    log: () => parseJsonLines<Record<string, unknown>>(err),
    async flushLog(...reqIds) {
      if (!reqIds.length) {
        const res = await fetch(`${url}/healthz`);
        await res.arrayBuffer();
        reqIds = [res.headers.get('x-request-id') ?? ''];
      }
      const deadline = Date.now() + 15_000;
      while (!reqIds.every((id) => err.includes(`"reqId":"${id}"`))) {
        if (Date.now() > deadline) throw new Error(`tac serve: no log line for request ${reqIds.join(', ')} within 15 s\n${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return new Promise((resolvePromise, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      reject(new Error(`tac serve ${args.join(' ')}: ${why}\n--- stdout ---\n${out}--- stderr ---\n${err}`));
    };
    const timer = setTimeout(() => {
      fail(`printed no URL within ${opts.timeoutMs ?? SERVE_START_TIMEOUT_MS} ms`);
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? SERVE_START_TIMEOUT_MS);
    const onData = () => {
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      url = out.slice(0, nl).trim();
      resolvePromise({ ...proc, url });
    };
    child.stdout!.on('data', onData);
    child.on('error', (e) => fail(`could not start: ${e.message}`));
    void exited.then(({ code, signal }) => {
      if (out.indexOf('\n') < 0) fail(`exited (code ${code}, signal ${signal}) before printing its URL`);
    });
  });
}

// ---- the remote variant ---------------------------------------------------------------------------

export const ROLES = ['admin', 'helpdesk', 'provisioner', 'app'] as const;
export type Role = (typeof ROLES)[number];

export interface AgentCreds {
  name: string;
  role: Role;
  clientId: string;
  clientSecret: string;
}

/** What the remote variant exposes besides the client env (remote-only tests use it). */
export interface RemoteInfo {
  server: ServeProcess;
  url: string;
  /** One agent per role, created on the server's database before it started. */
  agents: Record<Role, AgentCreds>;
  /** The server's own environment (HOME, XDG dirs, TAC_DB) and database path. */
  serverEnv: Record<string, string>;
  db: string;
  /** The client's config dir ($XDG_CONFIG_HOME/tac): profiles and credentials.json go here. */
  clientConfigDir: string;
  /** The client's environment without any TAC_SERVER / TAC_CLIENT_* (for login tests). */
  bareClientEnv: Record<string, string>;
  /** TAC_SERVER / TAC_CLIENT_ID / TAC_CLIENT_SECRET for an agent of `role`. */
  envFor(role: Role): Record<string, string>;
}

/** `tac agents create` on a database (as its local administrator); returns the credentials printed once. */
export async function createAgent(env: Env, name: string, role: Role): Promise<AgentCreds> {
  const r = await runTac(['agents', 'create', '--name', name, '--role', role, '--json'], env, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`agents create failed\n${describeRun(r)}`);
  const created = parseJson<{ clientId: string; clientSecret: string }>(r);
  return { name, role, clientId: created.clientId, clientSecret: created.clientSecret };
}

/**
 * Server flags the harness adds: many e2e commands a minute, each a new CLI process with env
 * credentials and so a new token request, from one address.
 */
export const E2E_SERVE_FLAGS = ['--token-rate-limit', '1000000'];

/**
 * `tac serve` on a database: the remote variant's SQLite file in the server's data dir, or the
 * postgres variant's database on the test cluster (test/pg/cluster.ts).
 */
function servedBackend(name: string, database: (sqlitePath: string) => Promise<string>): BackendVariant {
  return {
    name,
    async start(root) {
      const server = localDirs(join(root, 'server'));
      server.env.TAC_DB = await database(server.db);
      return startServed(server, localDirs(join(root, 'client')));
    },
  };
}

export const remoteBackend = servedBackend('remote', async (sqlitePath) => sqlitePath);

/**
 * `tac serve` on a PostgreSQL database of its own (the agents created with `tac agents create
 * --db postgres://…`): the third backend, beside SQLite and `tac serve` on SQLite.
 */
export const postgresBackend = servedBackend('postgres', () => createTestDatabase('e2e'));

async function startServed(server: ReturnType<typeof localDirs>, client: ReturnType<typeof localDirs>): Promise<BackendInstance> {
  // The CLI under test knows no database: only the server's URL and an agent's credentials.
  const { TAC_DB: _unused, ...bareClientEnv } = client.env;
  void _unused;
  // The first agent creates the database (migrations, key); the others can then go in parallel.
  const admin = await createAgent(server.env, 'e2e-admin', 'admin');
  const others = await Promise.all((['helpdesk', 'provisioner', 'app'] as const).map((role) => createAgent(server.env, `e2e-${role}`, role)));
  const agents = Object.fromEntries([admin, ...others].map((a) => [a.role, a])) as Record<Role, AgentCreds>;
  const serve = await startServe(['--port', '0', '--db', server.env.TAC_DB, ...E2E_SERVE_FLAGS], server.env);
  const envFor = (role: Role) => ({ TAC_SERVER: serve.url, TAC_CLIENT_ID: agents[role].clientId, TAC_CLIENT_SECRET: agents[role].clientSecret });
  const clientEnv = { ...bareClientEnv, ...envFor('admin') };
  return {
    clientEnv,
    adminEnv: clientEnv,
    actor: `agent:${admin.name}`,
    // The server's database, WAL and key, and every file the client may have written.
    secretRoots: [server.home, server.data, server.config, client.home, client.data, client.config],
    remote: {
      server: serve, url: serve.url, agents, serverEnv: server.env, db: server.env.TAC_DB,
      clientConfigDir: join(client.config, 'tac'), bareClientEnv, envFor,
    },
    async stop() {
      const { code, signal } = await serve.stop('SIGTERM');
      if (code !== 0) throw new Error(`tac serve exited with ${code ?? signal} on SIGTERM (expected 0)\n--- stderr ---\n${serve.stderr()}`);
    },
  };
}

/**
 * Registered variants, all run by default; postgres only where the test cluster runs (without
 * PostgreSQL, test/pg/cluster.ts fails CI instead). A suite that is not about the engine or the
 * server opts out with describeBackends' `only`, saying why.
 */
export const BACKENDS: BackendVariant[] = [localBackend, remoteBackend, postgresBackend];

/** The variants that run `tac serve`: for suites about the server (`only: SERVED`). */
export const SERVED = ['remote', 'postgres'];

/** The variants to run (TAC_E2E_BACKENDS), among `only`; postgres only where the cluster runs. */
export function selectedBackends(only?: string[]): BackendVariant[] {
  const wanted = process.env.TAC_E2E_BACKENDS?.split(',').map((s) => s.trim()).filter(Boolean);
  return BACKENDS.filter((b) => {
    if (b.name === 'postgres' && !pgAdminUrl()) return false;
    return (!wanted || wanted.includes(b.name)) && (!only || only.includes(b.name));
  });
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
  consecutiveFailures: number;
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

/** A client's dirs (see TacEnv.newClient): its config dir holds config.json and credentials.json. */
export interface ClientDirs {
  root: string;
  home: string;
  dataDir: string;
  configDir: string;
  env: Record<string, string>;
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

  /** The server, its log and its agents (remote variant only). */
  get remote(): RemoteInfo {
    if (!this.inst.remote) throw new Error(`the ${this.backend} backend has no server`);
    return this.inst.remote;
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

  /**
   * A fresh client machine: its own HOME and XDG dirs, no TAC_* variables (so no database and no
   * server until a test says so). For login, profile and credential tests.
   */
  newClient(label = 'client'): ClientDirs {
    const dir = mkdtempSync(join(this.root, `${label.replace(/[^a-z0-9]+/gi, '-')}-`));
    const d = localDirs(dir);
    const { TAC_DB: _db, ...env } = d.env;
    void _db;
    return { root: dir, home: d.home, dataDir: join(d.data, 'tac'), configDir: join(d.config, 'tac'), env };
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
    return filesUnder(...this.inst.secretRoots);
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
    // A remote environment starts a server (and env.isolated() another one): allow for it.
    const timeout = variant.name === 'local' ? undefined : 60_000;
    describe(`${name} [${variant.name}]`, { timeout }, () => {
      const env = new TacEnv(variant, name);
      beforeAll(async () => {
        await env.start();
      }, SERVE_START_TIMEOUT_MS * 2);
      afterAll(async () => {
        await env.stop();
      }, 60_000);
      fn(env);
    });
  }
}
