/**
 * PostgreSQL goes away under traffic and comes back: two real `tac serve` replicas on a private
 * cluster (this file's own, so stopping it disturbs no other test). While it is down every answer
 * is 503 problem+json `unavailable` (or, for a request that was already done, its normal answer):
 * never a 500, never a hang; /readyz fails and /healthz does not. Once it is back, the same
 * processes serve again without a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { q } from '../../src/core/flow.js';
import { openPostgres, pgPoolConfig } from '../../src/store/postgres/engine.js';
import { COMMIT_UNKNOWN } from '../../src/store/postgres/errors.js';
import { PgStore } from '../../src/store/postgres/store.js';
import { createAgent, describeRun, E2E_SERVE_FLAGS, localDirs, runTac, startServe, type AgentCreds, type ServeProcess } from '../e2e/helpers/tac.js';
import { startPgCluster } from './cluster-lib.mjs';
import { describePg } from './db.js';

/** Far above any answer the server gives (its own bounds are 5 s to connect, 15 s per query): reaching it is a hang. */
const CLIENT_TIMEOUT_MS = 45_000;
/** How long PostgreSQL stays down while the traffic goes on. */
const OUTAGE_MS = 3_000;
/** A password in the URL (trust auth ignores it): it must appear in no log line. */
const DB_PASSWORD = 'pw-outage-never-logged';

interface Answer {
  replica: number;
  what: string;
  startedAt: number;
  endedAt: number;
  status: number | 'timeout' | 'network';
  contentType: string;
  body: string;
  retryAfter: string | null;
}

let cluster: Awaited<ReturnType<typeof startPgCluster>> | undefined;
let root = '';
let replicas: ServeProcess[] = [];
let admin: AgentCreds;
let app: AgentCreds;
let env: Record<string, string>;
let dbUrl = '';

async function call(replica: number, what: string, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string>; form?: string } = {}): Promise<Answer> {
  const startedAt = Date.now();
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  try {
    const res = await fetch(`${replicas[replica]!.url}${path}`, {
      method, headers, body: opts.form ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)), signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    const body = await res.text();
    return { replica, what, startedAt, endedAt: Date.now(), status: res.status, contentType: res.headers.get('content-type') ?? '', body, retryAfter: res.headers.get('retry-after') };
  } catch (e) {
    const status = (e as Error).name === 'TimeoutError' ? 'timeout' : 'network';
    return { replica, what, startedAt, endedAt: Date.now(), status, contentType: '', body: String(e), retryAfter: null };
  }
}

const show = (a: Answer) => `${a.what} on replica ${a.replica}: ${a.status} ${a.body.slice(0, 300)}`;

async function tokenFor(agent: AgentCreds, replica = 0): Promise<string> {
  const basic = Buffer.from(`${agent.clientId}:${agent.clientSecret}`).toString('base64');
  const a = await call(replica, 'token', 'POST', '/oauth/token', { headers: { authorization: `Basic ${basic}` }, form: 'grant_type=client_credentials' });
  expect(a.status, show(a)).toBe(200);
  return (JSON.parse(a.body) as { access_token: string }).access_token;
}

/** The answer is the route's normal success, or 503 `unavailable` problem+json with Retry-After. */
function expectNormalOrUnavailable(a: Answer, normal: number): void {
  if (a.status === normal) return;
  expectUnavailable(a);
}

function expectUnavailable(a: Answer): void {
  expect(a.status, show(a)).toBe(503);
  expect(a.contentType, show(a)).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(a.body), show(a)).toMatchObject({ code: 'unavailable', status: 503, title: 'Database unavailable' });
  expect(a.retryAfter, show(a)).toBe('5');
  expect(a.body).not.toMatch(/\n\s+at |ECONN|127\.0\.0\.1|node_modules/);
}

async function waitReady(replica: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const a = await call(replica, 'readyz', 'GET', '/readyz');
    if (a.status === 200) return;
    if (Date.now() > deadline) throw new Error(`replica ${replica} not ready 60 s after PostgreSQL came back: ${show(a)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describePg('PostgreSQL stopped under traffic, two replicas', () => {
  beforeAll(async () => {
    cluster = await startPgCluster({ prefix: 'tac-pg-outage-' });
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    await c.query('CREATE DATABASE tac_outage');
    await c.end();
    const url = new URL(cluster.url);
    url.pathname = '/tac_outage';
    url.password = DB_PASSWORD;
    root = mkdtempSync(join(tmpdir(), 'tac-outage-'));
    const dirs = localDirs(root);
    dbUrl = url.toString();
    env = { ...dirs.env, TAC_DB: dbUrl, TAC_KEY_FILE: join(root, 'hmac.key'), TAC_VERIFY_RATE_LIMIT: '1000000' };
    admin = await createAgent(env, 'outage-admin', 'admin');
    app = await createAgent(env, 'outage-app', 'app');
    replicas = await Promise.all([0, 1].map(() => startServe(['--port', '0', '--pool-size', '4', ...E2E_SERVE_FLAGS], env)));
  }, 120_000);

  afterAll(async () => {
    try {
      for (const r of replicas) await r.stop('SIGTERM');
    } finally {
      cluster?.stop();
      if (root) rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('answers 503 unavailable (never 500, never a hang) while it is down, /readyz fails, and both replicas recover without a restart', async () => {
    const adminToken = await tokenFor(admin);
    const appToken = await tokenFor(app, 1);
    const patched = await call(0, 'policy', 'PATCH', '/v1/policy', { token: adminToken, body: { multiUseAllowed: true } });
    expect(patched.status, show(patched)).toBe(200);
    const user = await call(0, 'add user', 'POST', '/v1/users', { token: adminToken, body: { username: 'olga', email: 'olga@example.com' } });
    expect(user.status, show(user)).toBe(201);
    const issued = await call(1, 'issue', 'POST', '/v1/tacs', { token: adminToken, body: { user: 'olga', oneTime: false, verifiedBy: 'callback' } });
    expect(issued.status, show(issued)).toBe(201);
    const code = (JSON.parse(issued.body) as { code: string }).code;
    for (const r of [0, 1]) {
      expect((await call(r, 'readyz', 'GET', '/readyz')).status).toBe(200);
    }

    // Traffic: on each replica, two loops of verify / guest creation / user reads, until told to stop.
    const answers: Answer[] = [];
    let stop = false;
    let n = 0;
    const traffic = async (replica: number) => {
      while (!stop) {
        const i = n++;
        answers.push(await call(replica, 'verify', 'POST', '/v1/tacs/verify', { token: appToken, body: { user: 'olga', code } }));
        answers.push(await call(replica, 'guest', 'POST', '/v1/guests', { token: adminToken, body: { email: `guest-${i}@example.com` } }));
        answers.push(await call(replica, 'show user', 'GET', '/v1/users/olga', { token: adminToken }));
      }
    };
    const loops = [0, 0, 1, 1].map((r) => traffic(r));
    await new Promise((r) => setTimeout(r, 500));

    cluster!.halt();
    const downAt = Date.now();
    await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
    // While it is down: not ready, still alive; a token request is 503 (not a refused client).
    const probes = await Promise.all([0, 1].flatMap((r) => [
      call(r, 'readyz', 'GET', '/readyz'), call(r, 'healthz', 'GET', '/healthz'),
      call(r, 'token', 'POST', '/oauth/token', { form: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret }).toString() }),
    ]));
    const [cli, late] = await Promise.all([
      runTac(['whoami'], { ...localDirs(join(root, 'cli')).env, TAC_DB: undefined, TAC_SERVER: replicas[0]!.url, TAC_CLIENT_ID: app.clientId, TAC_CLIENT_SECRET: app.clientSecret }, { timeoutMs: 60_000 }),
      // A replica started now cannot reach its database: a start-up error, one line, exit 7.
      runTac(['serve', '--port', '0'], env, { timeoutMs: 60_000 }),
    ]);
    await new Promise((r) => setTimeout(r, Math.max(0, downAt + OUTAGE_MS - Date.now())));
    const upAt = Date.now();
    cluster!.resume();
    await Promise.all([waitReady(0), waitReady(1)]);
    stop = true;
    await Promise.all(loops);

    for (const p of probes) {
      if (p.what === 'readyz') expectUnavailable(p);
      if (p.what === 'healthz') expect([p.status, JSON.parse(p.body)], show(p)).toEqual([200, { status: 'ok' }]);
      if (p.what === 'token') {
        expect(p.status, show(p)).toBe(503);
        expect(p.retryAfter).toBe('5');
        expect(JSON.parse(p.body), show(p)).toEqual({ error: 'temporarily_unavailable', error_description: 'the database is unavailable; retry in a few seconds' });
      }
    }
    // The CLI: one line, exit 7 (the server could not issue it a token).
    expect(cli.code, describeRun(cli)).toBe(7);
    expect(cli.stderr.trim().split('\n'), describeRun(cli)).toEqual([expect.stringMatching(/^error: .*cannot issue a token now: the database is unavailable/)]);

    expect(late.code, describeRun(late)).toBe(7);
    expect(late.stderr.trim().split('\n'), describeRun(late)).toEqual([expect.stringMatching(/^error: cannot use the PostgreSQL database postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/tac_outage: /)]);

    const normal: Record<string, number> = { verify: 200, guest: 201, 'show user': 200 };
    // Sent after PostgreSQL was stopped and answered before it was started again: 503, every one.
    const during = answers.filter((a) => a.startedAt >= downAt && a.endedAt <= upAt);
    expect(during.length).toBeGreaterThan(10);
    for (const a of during) expectUnavailable(a);
    for (const r of [0, 1]) expect(during.filter((a) => a.replica === r).length, `replica ${r} answered during the outage`).toBeGreaterThan(3);
    // Any other: its normal answer or 503; never a 500, a timeout or a dropped connection.
    for (const a of answers) expectNormalOrUnavailable(a, normal[a.what]!);
    // Verifying was valid before and after; the outage counted no failure against the user.
    for (const a of answers.filter((x) => x.what === 'verify' && x.status === 200)) expect(JSON.parse(a.body), show(a)).toMatchObject({ valid: true });

    // Recovered, the same processes: verify, issue and token requests work on both replicas.
    for (const r of [0, 1]) {
      const v = await call(r, 'verify', 'POST', '/v1/tacs/verify', { token: appToken, body: { user: 'olga', code } });
      expect([v.status, JSON.parse(v.body).valid], show(v)).toEqual([200, true]);
      const g = await call(r, 'guest', 'POST', '/v1/guests', { token: adminToken, body: { email: `after-${r}@example.com` } });
      expect(g.status, show(g)).toBe(201);
      await tokenFor(app, r);
      expect(replicas[r]!.child.exitCode).toBeNull();
    }

    // The logs: one warning per outage (not per request) and one line when it is back; no error
    // line, no stack, no secret.
    for (const r of [0, 1]) {
      await replicas[r]!.flushLog();
      const log = replicas[r]!.log();
      const down = log.filter((l) => l.msg === 'database unavailable: answering 503 until it is back');
      const back = log.filter((l) => l.msg === 'database available again');
      const unavailable = answers.filter((a) => a.replica === r && a.status === 503).length;
      expect(down.length, replicas[r]!.stderr()).toBeGreaterThanOrEqual(1);
      // A few, not one per request: queries that were already running may still succeed as the server stops.
      expect(down.length, replicas[r]!.stderr()).toBeLessThanOrEqual(8);
      expect(unavailable).toBeGreaterThan(down.length * 2);
      expect(down.every((l) => l.level === 'warn' && typeof l.reason === 'string')).toBe(true);
      expect(back.length).toBe(down.length);
      expect(log.filter((l) => l.level === 'error'), replicas[r]!.stderr()).toEqual([]);
      const text = replicas[r]!.stderr();
      expect(text).not.toMatch(/\n\s+at /);
      for (const secret of [DB_PASSWORD, code, admin.clientSecret, app.clientSecret, adminToken, appToken]) expect(text).not.toContain(secret);
    }
  }, 150_000);

  it('a connection lost inside a transaction, between two queries: unavailable, the client destroyed (no uncaught error event), the next transaction works', async () => {
    const engine = await openPostgres(dbUrl, { poolSize: 2 });
    const changes: unknown[] = [];
    engine.onAvailabilityChange((c) => changes.push(c));
    const killer = new pg.Client({ connectionString: cluster!.url });
    await killer.connect();
    try {
      const lost = engine.store.transaction(function* () {
        const [row] = yield* q(engine.store.query('SELECT pg_backend_pid() AS pid'));
        // No query runs on the connection while the server ends its session.
        yield* q(killer.query('SELECT pg_terminate_backend($1)', [row!.pid]));
        yield* q(new Promise((r) => setTimeout(r, 300)));
        return yield* q(engine.store.query('SELECT 1 AS one'));
      });
      await expect(lost).rejects.toMatchObject({ code: 'unavailable', message: 'the database is unavailable; retry in a few seconds' });
      expect(changes).toEqual([{ available: false, reason: expect.any(String) }]);
      // The broken client went away with its error; the pool opens a new one.
      expect(await engine.store.transaction(function* () {
        return yield* q(engine.store.query('SELECT 41 + 1 AS n'));
      })).toEqual([{ n: 42 }]);
      expect(changes).toEqual([{ available: false, reason: expect.any(String) }, { available: true }]);
      await engine.ping();
    } finally {
      await killer.end();
      await engine.close();
    }
  }, 60_000);

  it('a server that stops answering mid-session: the query is unavailable after the query timeout, its connection destroyed, the pool recovers', async () => {
    const pool = new pg.Pool(pgPoolConfig(dbUrl, { poolSize: 1, queryTimeoutMs: 1_000 }));
    pool.on('error', () => {});
    const store = new PgStore(pool);
    try {
      const [{ pid }] = (await store.query('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
      // The session's server process frozen: the socket stays open, nothing answers (a network partition).
      process.kill(pid, 'SIGSTOP');
      try {
        await expect(store.query('SELECT 1')).rejects.toMatchObject({ code: 'unavailable' });
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      const [again] = (await store.query('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
      expect(again.pid).not.toBe(pid);
    } finally {
      await pool.end();
    }
  }, 60_000);

  it('a connection lost during COMMIT: unavailable, saying the change may have been applied', async () => {
    const pool = new pg.Pool(pgPoolConfig(dbUrl, { poolSize: 1, queryTimeoutMs: 1_000 }));
    pool.on('error', () => {});
    const store = new PgStore(pool);
    let pid = 0;
    try {
      await store.query('CREATE TABLE IF NOT EXISTS commit_probe (n int)');
      const write = store.transaction(function* () {
        pid = ((yield* q(store.query('SELECT pg_backend_pid() AS pid'))) as [{ pid: number }])[0].pid;
        yield* q(store.query('INSERT INTO commit_probe VALUES (1)'));
        // The COMMIT that follows gets no answer.
        process.kill(pid, 'SIGSTOP');
      });
      await expect(write).rejects.toMatchObject({ code: 'unavailable', message: COMMIT_UNKNOWN });
    } finally {
      if (pid) process.kill(pid, 'SIGCONT');
      await pool.end();
    }
  }, 60_000);

  it('a server that accepts connections but never answers: unavailable after the connect timeout, never a hang', async () => {
    const hole = createServer(() => {});
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    const pool = new pg.Pool(pgPoolConfig(`postgresql://tac@127.0.0.1:${(hole.address() as { port: number }).port}/tac`, { connectTimeoutMs: 500 }));
    pool.on('error', () => {});
    const store = new PgStore(pool);
    try {
      await expect(store.ping()).rejects.toMatchObject({ code: 'unavailable' });
      await expect(store.transaction(function* () {
        return 1;
      })).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      await pool.end();
      hole.close();
    }
  }, 60_000);
});
