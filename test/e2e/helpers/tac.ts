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
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';

import { localDirs, selectedBackends, SERVE_START_TIMEOUT_MS, type BackendInstance, type BackendVariant, type RemoteInfo } from './backends.js';
import { describeRun, filesUnder, parseJson, parseJsonLines, runTac, type JsonResult, type RunOptions, type RunResult } from './process.js';

export * from './process.js';
export * from './backends.js';

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
