/**
 * Several real `tac serve` replicas on one PostgreSQL database (test/pg/replicas-*.test.ts): one
 * database on the test cluster, one shared key file, the first agent made with `tac agents create
 * --db <url>`, requests spread round-robin over the live replicas, every answer kept (for the
 * no-500 check and the secret scan), and the database invariants checked in SQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { api, findSecrets, type ApiResult, type Creds } from '../robust/helpers.js';
import {
  createAgent, E2E_SERVE_FLAGS, localDirs, runTac, startServe, type Role, type RunResult, type ServeProcess,
} from '../e2e/helpers/tac.js';
import { createTestDatabase } from './db.js';

export { pool, prng, wrongCode, type ApiResult } from '../robust/helpers.js';

/** A well-formed request's answer may be any of these; never a 5xx. */
export const isServerError = (r: ApiResult) => r.status >= 500;

export class Replicas {
  readonly responses: ApiResult[] = [];
  /** Codes, client secrets and tokens handed out during the test: none may reach a log. */
  readonly secrets: string[] = [];
  /** The stderr (request log) of every replica ever started, dead ones included. */
  private readonly logs: { name: string; serve: ServeProcess }[] = [];
  readonly cliRuns: RunResult[] = [];
  private turn = 0;
  private appTurn = 0;
  tokens = { admin: '', helpdesk: '', provisioner: '', apps: [] as string[] };

  private constructor(readonly root: string, readonly dbUrl: string, readonly env: Record<string, string>, readonly live: (ServeProcess | undefined)[]) {}

  /** A new database, its agents (one per role, `apps` app agents), and `n` replicas serving it. */
  static async start(n: number, apps = 4): Promise<Replicas> {
    const root = mkdtempSync(join(tmpdir(), 'tac-replicas-'));
    const dirs = localDirs(root);
    const dbUrl = await createTestDatabase('replicas');
    // Every replica and CLI process reads the same key; TAC_DB is the database for `tac purge` and `agents create`.
    const env = { ...dirs.env, TAC_DB: dbUrl, TAC_KEY_FILE: join(root, 'hmac.key'), TAC_VERIFY_RATE_LIMIT: '1000000' };
    const r = new Replicas(root, dbUrl, env, []);
    const password = new URL(dbUrl).password;
    if (password) r.secrets.push(decodeURIComponent(password));
    // The first agent creates the schema and records the key; the others can then go at once.
    const admin = await createAgent(env, 'admin', 'admin');
    const rest = await Promise.all([
      createAgent(env, 'desk', 'helpdesk'), createAgent(env, 'prov', 'provisioner'),
      ...Array.from({ length: apps }, (_, i) => createAgent(env, `app-${i}`, 'app')),
    ]);
    for (let i = 0; i < n; i++) await r.startReplica(i);
    const [a, d, p, ...as] = await Promise.all([admin, ...rest].map((c) => r.token(c)));
    r.tokens = { admin: a!, helpdesk: d!, provisioner: p!, apps: as };
    return r;
  }

  /** Starts (or restarts) replica `i` on a free port. */
  async startReplica(i: number): Promise<ServeProcess> {
    const serve = await startServe(['--port', '0', '--db', this.dbUrl, '--pool-size', '6', ...E2E_SERVE_FLAGS], this.env);
    this.live[i] = serve;
    this.logs.push({ name: `replica ${i} (start ${this.logs.length + 1})`, serve });
    return serve;
  }

  get liveCount(): number {
    return this.live.filter(Boolean).length;
  }

  /** The live replicas' URLs, in order. */
  urls(): string[] {
    return this.live.filter((s): s is ServeProcess => s !== undefined).map((s) => s.url);
  }

  /** The next live replica, round-robin. */
  next(): string {
    const urls = this.urls();
    return urls[this.turn++ % urls.length]!;
  }

  /** The next app agent's token, round-robin, so per-client limits never interfere. */
  app(): string {
    return this.tokens.apps[this.appTurn++ % this.tokens.apps.length]!;
  }

  /** A token for `c` from the next replica (any replica accepts it: tokens live in the database). */
  async token(c: Creds): Promise<string> {
    this.secrets.push(c.clientSecret);
    const res = await this.http(undefined, 'POST', '/oauth/token',
      new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret }).toString(),
      { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
    this.secrets.push(res.json.access_token);
    return res.json.access_token as string;
  }

  /** One request to `url` (the next live replica by default); codes in the answer join the secrets. */
  async http(token: string | undefined, method: string, path: string, body?: unknown, opts: { url?: string; headers?: Record<string, string> } = {}): Promise<ApiResult> {
    const r = await api(opts.url ?? this.next(), token, method, path, body, opts.headers);
    this.responses.push(r);
    collectCodes(r.json, this.secrets);
    return r;
  }

  async agent(name: string, role: Role): Promise<Creds> {
    return createAgent(this.env, name, role);
  }

  /** `bin/tac ...args` on the database (TAC_DB is its URL). */
  async cli(args: string[]): Promise<RunResult> {
    const r = await runTac(args, this.env, { timeoutMs: 120_000 });
    this.cliRuns.push(r);
    return r;
  }

  /** SIGKILLs replica `i`; its log stays for the scan. */
  async kill(i: number): Promise<void> {
    const serve = this.live[i]!;
    this.live[i] = undefined;
    await serve.stop('SIGKILL');
  }

  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const c = new pg.Client({ connectionString: this.dbUrl });
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as T[];
    } finally {
      await c.end();
    }
  }

  /** Where a secret handed out so far occurs in a replica's log or a CLI run's stderr. */
  secretLeaks(): string[] {
    return findSecrets(this.secrets, [
      ...this.logs.map((l) => ({ name: `${l.name} stderr`, bytes: Buffer.from(l.serve.stderr()) })),
      ...this.cliRuns.map((r, i) => ({ name: `cli run ${i} (${r.args.join(' ')}) stderr`, bytes: Buffer.from(r.stderr) })),
    ]);
  }

  /** Each replica's request log (stderr), dead ones included. */
  replicaLogs(): string[] {
    return this.logs.map((l) => l.serve.stderr());
  }

  /** Log lines of any replica that report a server error. */
  serverErrorsLogged(): string[] {
    return this.logs.flatMap((l) => l.serve.stderr().split('\n').filter((line) => /"status":5\d\d|unhandled error/.test(line)));
  }

  /** Stops every live replica with SIGTERM; returns the exits that were not clean. */
  async stop(): Promise<string[]> {
    const bad: string[] = [];
    for (const [i, s] of this.live.entries()) {
      if (!s) continue;
      const { code, signal } = await s.stop('SIGTERM');
      if (code !== 0) bad.push(`replica ${i} exited ${code ?? signal}`);
    }
    if (process.env.TAC_KEEP) console.log(`[replicas] kept ${this.root} (TAC_KEEP)`);
    else rmSync(this.root, { recursive: true, force: true });
    return bad;
  }
}

/** Every `code` field in an answer (issued TACs, imports' results). */
function collectCodes(json: unknown, into: string[]): void {
  if (Array.isArray(json)) for (const x of json) collectCodes(x, into);
  else if (json && typeof json === 'object') {
    for (const [k, v] of Object.entries(json)) {
      if (k === 'code' && typeof v === 'string' && /^[A-Za-z0-9]{6,}$/.test(v)) into.push(v);
      else collectCodes(v, into);
    }
  }
}

const NOW_ISO = `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The invariants every state of the database must satisfy, whatever was killed when: the SQLite
 * crash tests' (test/robust/helpers.ts invariantViolations) in PostgreSQL's SQL, plus the purge
 * audit's (no TAC purged twice, none purged that still exists). Returns the violations.
 */
export async function pgInvariantViolations(r: Replicas): Promise<string[]> {
  const out: string[] = [];
  const check = async (what: string, sql: string) => {
    const rows = await r.query(sql);
    if (rows.length) out.push(`${what}: ${rows.length} row(s), e.g. ${JSON.stringify(rows.slice(0, 3))}`);
  };
  const events = `(SELECT tac_id, action, coalesce(reason, '') reason, count(*)::int n FROM audit WHERE tac_id IS NOT NULL GROUP BY 1, 2, 3)`;
  const purgedIds = `(SELECT jsonb_array_elements_text(details::jsonb -> 'tacIds') tac_id FROM audit WHERE action = 'tac.purged')`;
  await check('user without exactly one audit event of their creation (as a guest or a user, as they are)',
    `SELECT u.id, u.guest, count(a.id)::int n FROM users u
       LEFT JOIN audit a ON a.user_id = u.id AND a.action = CASE WHEN u.guest THEN 'guest.created' ELSE 'user.created' END
       GROUP BY u.id, u.guest HAVING count(a.id) <> 1`);
  await check('TAC without its user', 'SELECT t.id FROM tacs t LEFT JOIN users u ON u.id = t.user_id WHERE u.id IS NULL');
  await check('TAC without exactly one tac.generated event',
    `SELECT t.id, e.n FROM tacs t LEFT JOIN ${events} e ON e.tac_id = t.id AND e.action = 'tac.generated' AND e.reason = '' WHERE coalesce(e.n, 0) <> 1`);
  await check('revoked TAC without its tac.revoked event',
    `SELECT t.id, t.revoked_reason FROM tacs t WHERE t.revoked_at IS NOT NULL AND NOT EXISTS
       (SELECT 1 FROM audit e WHERE e.tac_id = t.id AND e.action = 'tac.revoked' AND e.reason = t.revoked_reason)`);
  await check('tac.revoked event of a TAC that is not revoked (a rolled-back write leaked)',
    `SELECT t.id FROM tacs t JOIN audit e ON e.tac_id = t.id AND e.action = 'tac.revoked' WHERE t.revoked_at IS NULL`);
  await check('tac.generated event of a TAC that does not exist, though no purge names it and its user was not deleted',
    `SELECT e.tac_id FROM audit e WHERE e.action = 'tac.generated' AND NOT EXISTS (SELECT 1 FROM tacs t WHERE t.id = e.tac_id)
       AND e.tac_id NOT IN (SELECT tac_id FROM ${purgedIds} p)
       AND NOT EXISTS (SELECT 1 FROM audit d WHERE d.action = 'tac.purged' AND (d.details::jsonb ->> 'count')::int > 100)
       AND NOT EXISTS (SELECT 1 FROM audit d WHERE d.action = 'user.deleted' AND d.user_id = e.user_id)`);
  await check('user with more than one live TAC',
    `SELECT user_id, count(*)::int n FROM tacs WHERE revoked_at IS NULL AND expires_at > ${NOW_ISO}
       AND NOT (one_time AND use_count > 0) GROUP BY user_id HAVING count(*) > 1`);
  await check('one-time TAC used more than once', 'SELECT id, use_count FROM tacs WHERE one_time AND use_count > 1');
  await check('TAC whose use count differs from its tac.verified events',
    `SELECT t.id, t.use_count, e.n FROM tacs t LEFT JOIN ${events} e ON e.tac_id = t.id AND e.action = 'tac.verified' AND e.reason = ''
       WHERE t.use_count <> coalesce(e.n, 0)`);
  await check('guest half-created (no TAC, never purged)',
    `SELECT u.id FROM users u WHERE u.guest AND NOT EXISTS (SELECT 1 FROM tacs t WHERE t.user_id = u.id)
       AND NOT EXISTS (SELECT 1 FROM audit d WHERE d.action = 'tac.purged')`);
  await check('TAC named by more than one tac.purged event', `SELECT tac_id, count(*)::int n FROM ${purgedIds} p GROUP BY 1 HAVING count(*) > 1`);
  await check('tac.purged event whose count differs from the ids it names (under 100)',
    `SELECT id, details FROM audit WHERE action = 'tac.purged' AND (details::jsonb ->> 'count')::int <= 100
       AND (details::jsonb ->> 'count')::int <> jsonb_array_length(details::jsonb -> 'tacIds')`);
  await check('TAC named purged that still exists', `SELECT t.id FROM tacs t JOIN ${purgedIds} p ON p.tac_id = t.id`);
  return out;
}
