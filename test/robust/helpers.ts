/**
 * Shared harness of the robustness suites (test/robust): real `bin/tac` processes, worker
 * processes that drive the built engine (dist/) directly, a real `tac serve`, a seeded PRNG, and
 * SQL checks of the database invariants.
 *
 * Sizes are small enough for CI by default; TAC_STRESS=1 scales them up. TAC_SEED=N replays the
 * random choices of a failed run (every suite logs the seed it used).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describeRun, localDirs, spawnNode, TAC_BIN, type Env, type RunResult, type Spawned } from '../e2e/helpers/tac.js';

export { describeRun, filesUnder, parseJsonLines, REPO_ROOT, TAC_BIN, type RunResult, type Spawned } from '../e2e/helpers/tac.js';

export const STRESS = process.env.TAC_STRESS === '1';
/** `def` in a normal run, `stress` with TAC_STRESS=1. */
export const size = (def: number, stress: number): number => (STRESS ? stress : def);

export const WORKERS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'workers');

/** Exit codes documented in the README (src/core/errors.ts). 1 means a bug, so bad input must never get it. */
export const DOCUMENTED_EXIT_CODES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 130, 141];
export const INPUT_EXIT_CODES = [0, 2, 3, 4, 5, 6, 7];
/** A JavaScript stack frame, as printed by Node for an uncaught error. */
export const STACK_RE = /^\s+at .+/m;
/** What a SQLite lock error looks like if one ever escapes to a user. */
export const BUSY_RE = /SQLITE_BUSY|database is locked|SQLITE_LOCKED/i;

// ---- randomness ---------------------------------------------------------------------------------

/** The seed of this run: TAC_SEED, else a fixed default per suite (so CI is reproducible). */
export function seedFor(suite: string, dflt: number): number {
  const s = process.env.TAC_SEED ? Number(process.env.TAC_SEED) : dflt;
  // eslint-disable-next-line no-console
  console.log(`[${suite}] seed ${s}${STRESS ? ' (TAC_STRESS=1)' : ''}; replay with TAC_SEED=${s}`);
  return s;
}

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const randInt = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));

export function shuffle<T>(rnd: () => number, xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** The default alphabet (no 0 O 1 I L). */
export const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** A well-formed code of the default policy that is not `code`. */
export function wrongCode(code: string, rnd: () => number): string {
  for (;;) {
    let s = '';
    for (let i = 0; i < code.length; i++) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)];
    if (s !== code) return s;
  }
}

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

// ---- processes ----------------------------------------------------------------------------------

export const spawnTac = (args: string[], env: Env, opts: Parameters<typeof spawnNode>[2] = {}): Spawned =>
  spawnNode([TAC_BIN, ...args], env, opts);

/**
 * A worker process (test/robust/workers/*.mjs) that opens the database with the built engine,
 * prints "ready", waits for "go" on stdin (a start barrier across processes), runs its ops and
 * prints one JSON line of results.
 */
export class Worker {
  readonly p: Spawned;
  readonly ready: Promise<void>;

  constructor(script: string, config: unknown, env: Env) {
    this.p = spawnNode([join(WORKERS_DIR, script), JSON.stringify(config)], env, { keepStdinOpen: true });
    this.ready = new Promise((res, rej) => {
      const check = () => {
        if (this.p.stdout().startsWith('ready\n')) {
          this.p.child.stdout!.off('data', check);
          res();
        }
      };
      this.p.child.stdout!.on('data', check);
      this.p.done.then((r) => rej(new Error(`worker exited before ready\n${describeRun(r)}`)), rej);
    });
  }

  go(): void {
    this.p.child.stdin!.end('go\n');
  }

  async result<T>(): Promise<T> {
    const r = await this.p.done;
    if (r.code !== 0) throw new Error(`worker failed\n${describeRun(r)}`);
    const line = r.stdout.split('\n').filter(Boolean).pop()!;
    return JSON.parse(line) as T;
  }

  get run(): Promise<RunResult> {
    return this.p.done;
  }

  kill(): void {
    this.p.child.kill('SIGKILL');
  }
}

// ---- an environment -----------------------------------------------------------------------------

/** Temp HOME/XDG dirs and a TAC_DB, and every CLI run made in it (for output scans). */
export class RobustEnv {
  readonly root: string;
  readonly env: Record<string, string>;
  readonly dbPath: string;
  readonly keyPath: string;
  readonly dirs: ReturnType<typeof localDirs>;
  readonly runs: RunResult[] = [];

  /** `extraEnv` adds variables; an undefined value removes one (e.g. TAC_DB, so a login profile applies). */
  constructor(label: string, extraEnv: Record<string, string | undefined> = {}) {
    this.root = mkdtempSync(join(tmpdir(), `tac-robust-${label}-`));
    this.dirs = localDirs(this.root);
    this.env = {};
    for (const [k, v] of Object.entries({ ...this.dirs.env, CI: '1', ...extraEnv })) if (v !== undefined) this.env[k] = v;
    this.dbPath = this.dirs.db;
    this.keyPath = this.dirs.keyFile;
  }

  /** Runs bin/tac and records the run. */
  async tac(args: string[], opts: { stdin?: string | Buffer; env?: Env; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
    const r = await spawnTac(args, { ...this.env, ...opts.env }, opts).done;
    this.runs.push(r);
    return r;
  }

  async ok(args: string[], opts: { stdin?: string; env?: Env } = {}): Promise<RunResult> {
    const r = await this.tac(args, opts);
    if (r.code !== 0) throw new Error(`command failed\n${describeRun(r)}`);
    return r;
  }

  async json<T>(args: string[], opts: { stdin?: string; env?: Env } = {}): Promise<T> {
    const r = await this.ok([...args, '--json'], opts);
    return JSON.parse(r.stdout) as T;
  }

  addUser(username: string, extra: string[] = []): Promise<{ id: string }> {
    return this.json(['users', 'add', '--username', username, '--email', `${username}@example.com`, ...extra]);
  }

  issue(user: string, ...flags: string[]): Promise<{ id: string; code: string; status: string }> {
    return this.json(['generate', '--verified-by', 'callback', '--user', user, ...flags]);
  }

  /** A worker on this environment's database. */
  worker(script: string, config: Record<string, unknown>): Worker {
    return new Worker(script, { dbPath: this.dbPath, keyPath: this.keyPath, ...config }, this.env);
  }

  path(name: string): string {
    return join(this.root, 'work', name);
  }

  cleanup(): void {
    if (process.env.TAC_KEEP) {
      console.log(`[robust] kept ${this.root} (TAC_KEEP)`);
      return;
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

// ---- a real server ------------------------------------------------------------------------------

export interface RunningServer {
  url: string;
  proc: Spawned;
  /** The request log so far (stderr of `tac serve`). */
  log(): string;
  stop(): Promise<RunResult>;
}

/** `tac serve --port 0` on the environment's database; resolves once it listens. */
export async function startServe(env: RobustEnv, extraArgs: string[] = []): Promise<RunningServer> {
  const proc = spawnTac(['serve', '--port', '0', '--json', ...extraArgs], env.env, { keepStdinOpen: true, timeoutMs: 600_000 });
  const errBuf: Buffer[] = [];
  proc.child.stderr!.on('data', (c: Buffer) => errBuf.push(c));
  const url = await new Promise<string>((res, rej) => {
    const onData = () => {
      try {
        const j = JSON.parse(proc.stdout()) as { url: string };
        proc.child.stdout!.off('data', onData);
        res(j.url);
      } catch {
        // not complete yet
      }
    };
    proc.child.stdout!.on('data', onData);
    proc.done.then((r) => rej(new Error(`tac serve exited\n${describeRun(r)}`)));
  });
  return {
    url,
    proc,
    log: () => Buffer.concat(errBuf).toString('utf8'),
    async stop() {
      proc.child.kill('SIGTERM');
      const r = await proc.done;
      env.runs.push(r);
      return r;
    },
  };
}

export interface Creds {
  clientId: string;
  clientSecret: string;
}

export async function createAgent(env: RobustEnv, name: string, role: string): Promise<Creds> {
  const r = await spawnTac(['agents', 'create', '--name', name, '--role', role, '--json'], env.env).done;
  if (r.code !== 0) throw new Error(`agents create failed\n${describeRun(r)}`);
  const j = JSON.parse(r.stdout) as Creds;
  return { clientId: j.clientId, clientSecret: j.clientSecret };
}

export async function getToken(url: string, creds: Creds): Promise<string> {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret }).toString(),
  });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export interface ApiResult {
  status: number;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  contentType: string;
}

/** One request; the body is sent as JSON unless it is a string/Buffer (sent as is). */
export async function api(url: string, token: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult> {
  const raw = body === undefined || typeof body === 'string' || Buffer.isBuffer(body);
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined && !raw ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, contentType: res.headers.get('content-type') ?? '' };
}

// ---- the database -------------------------------------------------------------------------------

export function openRo(dbPath: string): Database.Database {
  return new Database(dbPath, { readonly: true, fileMustExist: true });
}

export function withDb<T>(dbPath: string, fn: (db: Database.Database) => T): T {
  const db = openRo(dbPath);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/**
 * A fingerprint of everything a rejected input must not change: users, TACs, audit, policy, meta
 * and agents (without their last-used time, which any authenticated request updates).
 */
export function snapshot(dbPath: string): string {
  return withDb(dbPath, (db) => {
    const h = createHash('sha256');
    for (const sql of [
      'SELECT * FROM users ORDER BY id',
      'SELECT * FROM tacs ORDER BY id',
      'SELECT * FROM audit ORDER BY id',
      'SELECT * FROM policy',
      'SELECT * FROM meta ORDER BY key',
      'SELECT client_id, name, role, secret_hash, created_at, created_by, revoked_at FROM agents ORDER BY client_id',
    ]) {
      h.update(sql);
      h.update(JSON.stringify(db.prepare(sql).all()));
    }
    return h.digest('hex');
  });
}

export interface Counts {
  users: number;
  tacs: number;
  audit: number;
}

export const counts = (dbPath: string): Counts =>
  withDb(dbPath, (db) => db.prepare('SELECT (SELECT count(*) FROM users) users, (SELECT count(*) FROM tacs) tacs, (SELECT count(*) FROM audit) audit').get() as Counts);

/**
 * The invariants every state of the database must satisfy, whatever was killed when: returns the
 * violations (empty when all hold), each with a few example rows.
 */
export function invariantViolations(db: Database.Database, opts: { guestsHaveTacs?: boolean } = {}): string[] {
  const out: string[] = [];
  const check = (what: string, sql: string) => {
    const rows = db.prepare(sql).all();
    if (rows.length) out.push(`${what}: ${rows.length} row(s), e.g. ${JSON.stringify(rows.slice(0, 3))}`);
  };
  const integrity = db.pragma('integrity_check', { simple: true });
  if (integrity !== 'ok') out.push(`integrity_check: ${String(integrity)}`);
  check('foreign_key_check', 'PRAGMA foreign_key_check');
  // audit has no index on tac_id: one pass builds an indexed summary in the temp schema.
  db.exec(`DROP TABLE IF EXISTS temp.tac_events;
    CREATE TEMP TABLE tac_events AS SELECT tac_id, action, coalesce(reason, '') reason, count(*) n FROM main.audit WHERE tac_id IS NOT NULL GROUP BY 1, 2, 3;
    CREATE INDEX temp.tac_events_i ON tac_events (tac_id, action, reason);
    DROP TABLE IF EXISTS temp.creations;
    CREATE TEMP TABLE creations AS SELECT user_id, action, count(*) n FROM main.audit WHERE action IN ('user.created', 'guest.created') GROUP BY 1, 2;
    CREATE INDEX temp.creations_i ON creations (user_id, action);`);
  check('user without exactly one audit event of their creation (as a guest or a user, as they are)',
    `SELECT u.id, u.username, u.guest, c.n FROM users u
       LEFT JOIN creations c ON c.user_id = u.id AND c.action = CASE u.guest WHEN 1 THEN 'guest.created' ELSE 'user.created' END
       WHERE coalesce(c.n, 0) <> 1`);
  check('TAC without its user', 'SELECT t.id, t.user_id FROM tacs t LEFT JOIN users u ON u.id = t.user_id WHERE u.id IS NULL');
  check('TAC without exactly one tac.generated event',
    `SELECT t.id, e.n FROM tacs t LEFT JOIN tac_events e ON e.tac_id = t.id AND e.action = 'tac.generated' AND e.reason = '' WHERE coalesce(e.n, 0) <> 1`);
  check('revoked TAC without its tac.revoked event',
    `SELECT t.id, t.revoked_reason FROM tacs t WHERE t.revoked_at IS NOT NULL AND NOT EXISTS
       (SELECT 1 FROM tac_events e WHERE e.tac_id = t.id AND e.action = 'tac.revoked' AND e.reason = t.revoked_reason)`);
  check('tac.revoked event of a TAC that is not revoked (a rolled-back write leaked)',
    `SELECT t.id FROM tacs t JOIN tac_events e ON e.tac_id = t.id AND e.action = 'tac.revoked' WHERE t.revoked_at IS NULL`);
  check('tac.generated event of a TAC that does not exist though it was never purged nor its user deleted',
    `SELECT e.tac_id FROM tac_events e WHERE e.action = 'tac.generated' AND NOT EXISTS (SELECT 1 FROM tacs t WHERE t.id = e.tac_id)
       AND NOT EXISTS (SELECT 1 FROM audit d WHERE d.action IN ('user.deleted', 'tac.purged'))`);
  check('user with more than one live TAC',
    `SELECT user_id, count(*) n FROM tacs WHERE revoked_at IS NULL AND expires_at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       AND NOT (one_time = 1 AND use_count > 0) GROUP BY user_id HAVING n > 1`);
  check('one-time TAC used more than once', 'SELECT id, use_count FROM tacs WHERE one_time = 1 AND use_count > 1');
  check('TAC whose use count differs from its tac.verified events',
    `SELECT t.id, t.use_count, e.n FROM tacs t LEFT JOIN tac_events e ON e.tac_id = t.id AND e.action = 'tac.verified' AND e.reason = ''
       WHERE t.use_count <> coalesce(e.n, 0)`);
  if (opts.guestsHaveTacs !== false) {
    check('guest half-created (no TAC)', 'SELECT u.id, u.email FROM users u WHERE u.guest = 1 AND NOT EXISTS (SELECT 1 FROM tacs t WHERE t.user_id = u.id)');
  }
  db.exec('DROP TABLE temp.tac_events; DROP TABLE temp.creations');
  return out;
}

export { fileSources, findSecrets, secretForms } from './secrets.js';
