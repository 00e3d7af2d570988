import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api, BUSY_RE, createAgent, describeRun, getToken, invariantViolations, pool, prng, RobustEnv, seedFor, size, spawnTac,
  startServe, STACK_RE, withDb, wrongCode, type ApiResult, type RunningServer, type RunResult, type Spawned, type Worker,
} from './helpers.js';

/**
 * Concurrency with real processes on one SQLite file: `tac verify`/`tac generate`/`tac users add`
 * processes, worker processes driving the built engine (test/robust/workers/ops.mjs, released
 * together by a barrier), and HTTP requests to a `tac serve` on the same database, all at once.
 *
 * Sizes: 200 verifications, 100 guesses, 24 issues, 60 mixed writes by default; TAC_STRESS=1
 * gives 1000 / 500 / 100 / 300.
 */
const SEED = seedFor('concurrency', 1_2026_05);
const VERIFIES = size(200, 1000);
const GUESSES = size(100, 500);
const ISSUES = size(24, 100);
const WRITES = size(60, 300);
const MAX_FAILED = 3; // the default policy's maxFailedAttempts
const LOCKOUT_MINUTES = 15; // and its lockoutDuration

type Answer = { source: string; valid: boolean; reason?: string; error?: string };

describe('concurrency: CLI processes, workers and a server on one database', () => {
  const env = new RobustEnv('concurrency');
  const rnd = prng(SEED);
  let server: RunningServer;
  /** Verify tokens of several app agents, round-robin, so the per-client rate limit never interferes. */
  let appTokens: string[] = [];
  let helpdesk = '';
  let admin = '';
  let tokenTurn = 0;
  const appToken = () => appTokens[tokenTurn++ % appTokens.length]!;
  const responses: ApiResult[] = [];
  const processRuns: RunResult[] = [];

  const http = async (token: string, method: string, path: string, body?: unknown) => {
    const r = await api(server.url, token, method, path, body);
    responses.push(r);
    return r;
  };

  beforeAll(async () => {
    await env.ok(['policy', 'show']);
    server = await startServe(env);
    const agents = await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => createAgent(env, `app-${i}`, 'app')),
      createAgent(env, 'desk', 'helpdesk'),
      createAgent(env, 'root', 'admin'),
    ]);
    const tokens = await Promise.all(agents.map((a) => getToken(server.url, a)));
    appTokens = tokens.slice(0, 4);
    helpdesk = tokens[4]!;
    admin = tokens[5]!;
  }, 120_000);

  afterAll(async () => {
    const stopped = await server?.stop();
    const log = server?.log() ?? '';
    env.cleanup();
    // Checked here too so a failure of the server itself is never silent.
    expect(log).not.toMatch(/"status":5\d\d/);
    expect(log).not.toContain('unhandled error');
    expect(stopped?.code).toBe(0);
  });

  /**
   * Splits `n` attempts over `tac` CLI processes (a third, at most 32), 6 worker processes and HTTP
   * requests, releases them together and returns every answer.
   */
  async function race(n: number, user: string, codeFor: (i: number) => string, opts: { clockOffsetMs?: number } = {}): Promise<Answer[]> {
    const cli = Math.min(32, Math.floor(n / 3));
    const workers = 6;
    const perWorker = Math.floor((n - cli) / 2 / workers);
    const httpN = n - cli - perWorker * workers;
    let k = 0;
    const cliProcs: { p: Spawned; code: string }[] = Array.from({ length: cli }, () => ({
      // verify reads the code from stdin before it opens the database: holding stdin open is a start barrier.
      p: spawnTac(['verify', '--user', user, '--json'], env.env, { keepStdinOpen: true }),
      code: codeFor(k++),
    }));
    const ws: Worker[] = Array.from({ length: workers }, () =>
      env.worker('ops.mjs', { ...opts, ops: Array.from({ length: perWorker }, () => ({ op: 'verify', user, code: codeFor(k++) })) }));
    const httpCodes = Array.from({ length: httpN }, () => codeFor(k++));
    await Promise.all(ws.map((w) => w.ready));

    for (const w of ws) w.go();
    for (const c of cliProcs) c.p.child.stdin!.end(`${c.code}\n`);
    const [httpAnswers, cliRuns, workerAnswers] = await Promise.all([
      Promise.all(httpCodes.map((code) => http(appToken(), 'POST', '/v1/tacs/verify', { user, code }))),
      Promise.all(cliProcs.map((c) => c.p.done)),
      Promise.all(ws.map((w) => w.result<Omit<Answer, 'source'>[]>())),
    ]);
    processRuns.push(...cliRuns);

    const answers: Answer[] = [];
    for (const r of httpAnswers) {
      expect(r.status, r.text).toBe(200);
      answers.push({ source: 'http', ...r.json });
    }
    for (const r of cliRuns) {
      expect([0, 6], describeRun(r)).toContain(r.code);
      expect(r.stderr, describeRun(r)).toBe('');
      answers.push({ source: 'cli', ...JSON.parse(r.stdout) });
    }
    for (const a of workerAnswers.flat()) answers.push({ source: 'worker', ...a });
    expect(answers).toHaveLength(n);
    expect(answers.filter((a) => a.error), JSON.stringify(answers.filter((a) => a.error).slice(0, 3))).toEqual([]);
    return answers;
  }

  const tally = (answers: Answer[]) => {
    const t: Record<string, number> = {};
    for (const a of answers) {
      const key = a.valid ? 'valid' : a.reason!;
      t[key] = (t[key] ?? 0) + 1;
    }
    return t;
  };

  const auditCount = (where: string, ...params: unknown[]) =>
    withDb(env.dbPath, (db) => (db.prepare(`SELECT count(*) n FROM audit WHERE ${where}`).get(...params) as { n: number }).n);

  it(`one one-time code, ${VERIFIES} concurrent verifications (CLI, workers, HTTP): exactly one success, every other answer already_used`, async () => {
    const user = await env.addUser('race');
    const tac = await env.issue('race');
    const answers = await race(VERIFIES, 'race', () => tac.code);

    expect(tally(answers)).toEqual({ valid: 1, already_used: VERIFIES - 1 });
    const winner = answers.find((a) => a.valid)!;
    console.log(`[concurrency] the one success came from ${winner.source}; sources: ${JSON.stringify(tally(answers.map((a) => ({ ...a, valid: false, reason: a.source }))))}`);

    withDb(env.dbPath, (db) => {
      expect(db.prepare('SELECT use_count, revoked_at FROM tacs WHERE id = ?').get(tac.id)).toEqual({ use_count: 1, revoked_at: null });
      expect(db.prepare('SELECT failed_attempts, locked_until FROM users WHERE id = ?').get(user.id)).toEqual({ failed_attempts: 0, locked_until: null });
    });
    expect(auditCount("action = 'tac.verified' AND tac_id = ?", tac.id)).toBe(1);
    expect(auditCount("action = 'tac.verify_failed' AND user_id = ? AND reason = 'already_used'", user.id)).toBe(VERIFIES - 1);
  }, 180_000);

  it(`${GUESSES} concurrent wrong guesses: the lock engages after exactly maxFailedAttempts failures; the right code is then locked_out`, async () => {
    const user = await env.addUser('guess');
    const tac = await env.issue('guess');
    const answers = await race(GUESSES, 'guess', () => wrongCode(tac.code, rnd));

    expect(tally(answers)).toEqual({ invalid_code: MAX_FAILED, locked_out: GUESSES - MAX_FAILED });
    expect(auditCount("action = 'tac.verify_failed' AND user_id = ? AND reason = 'invalid_code'", user.id)).toBe(MAX_FAILED);
    expect(auditCount("action = 'tac.verify_failed' AND user_id = ? AND reason = 'locked_out'", user.id)).toBe(GUESSES - MAX_FAILED);
    expect(auditCount("action = 'user.locked_out' AND user_id = ?", user.id)).toBe(1);
    const locked = withDb(env.dbPath, (db) => db.prepare('SELECT failed_attempts, locked_until FROM users WHERE id = ?').get(user.id)) as { failed_attempts: number; locked_until: string };
    expect(locked.failed_attempts).toBe(MAX_FAILED);
    expect(Date.parse(locked.locked_until)).toBeGreaterThan(Date.now() + (LOCKOUT_MINUTES - 2) * 60_000);

    // The right code is refused while locked, by every path, and is not consumed.
    const cli = await env.tac(['verify', '--user', 'guess', '--json'], { stdin: `${tac.code}\n` });
    expect(cli.code, describeRun(cli)).toBe(6);
    expect(JSON.parse(cli.stdout)).toEqual({ valid: false, reason: 'locked_out', lockedUntil: locked.locked_until });
    const viaHttp = await http(appToken(), 'POST', '/v1/tacs/verify', { user: 'guess', code: tac.code });
    expect(viaHttp.json).toMatchObject({ valid: false, reason: 'locked_out' });
    withDb(env.dbPath, (db) => expect(db.prepare('SELECT use_count FROM tacs WHERE id = ?').get(tac.id)).toEqual({ use_count: 0 }));

    // An agent unlocks (help-desk agent over the API): the same code now works.
    const unlock = await http(helpdesk, 'POST', '/v1/users/guess/unlock');
    expect(unlock.status, unlock.text).toBe(200);
    expect(unlock.json).toMatchObject({ failedAttempts: 0, lockedUntil: null });
    const ok = await env.tac(['verify', '--user', 'guess', '--json'], { stdin: `${tac.code}\n` });
    expect(ok.code, describeRun(ok)).toBe(0);
    expect(auditCount("action = 'user.unlocked' AND user_id = ?", user.id)).toBe(1);
  }, 180_000);

  it('a lock runs out by itself: a process whose clock is past lockedUntil gets the right code accepted', async () => {
    await env.addUser('expiry');
    const tac = await env.issue('expiry');
    const wrong = env.worker('ops.mjs', { ops: [{ op: 'verify', user: 'expiry', code: wrongCode(tac.code, rnd), times: MAX_FAILED + 1 }] });
    await wrong.ready;
    wrong.go();
    expect(tally((await wrong.result<Omit<Answer, 'source'>[]>()).map((a) => ({ source: 'w', ...a })))).toEqual({ invalid_code: MAX_FAILED, locked_out: 1 });
    const stillLocked = await env.tac(['verify', '--user', 'expiry', '--json'], { stdin: `${tac.code}\n` });
    expect(JSON.parse(stillLocked.stdout)).toMatchObject({ valid: false, reason: 'locked_out' });

    // A real process on the same database, its clock moved just past the lockout duration.
    const later = env.worker('ops.mjs', { clockOffsetMs: (LOCKOUT_MINUTES + 1) * 60_000, ops: [{ op: 'verify', user: 'expiry', code: tac.code }] });
    await later.ready;
    later.go();
    expect(await later.result<Answer[]>()).toEqual([expect.objectContaining({ valid: true })]);
  }, 60_000);

  it(`${ISSUES} concurrent issues for one user (CLI, workers, HTTP): exactly one live TAC, every other revoked as replaced, each with its audit event`, async () => {
    const user = await env.addUser('gen');
    const cli = Math.floor(ISSUES / 3);
    const workers = 2;
    const perWorker = Math.floor(ISSUES / 3 / workers);
    const httpN = ISSUES - cli - perWorker * workers;

    const ws = Array.from({ length: workers }, () => env.worker('ops.mjs', { ops: [{ op: 'issue', user: 'gen', times: perWorker }] }));
    await Promise.all(ws.map((w) => w.ready));
    for (const w of ws) w.go();
    const [cliRuns, httpRes, workerRes] = await Promise.all([
      pool(Array.from({ length: cli }), cli, () => env.tac(['generate', '--verified-by', 'callback', '--user', 'gen', '--json'])),
      Promise.all(Array.from({ length: httpN }, () => http(helpdesk, 'POST', '/v1/tacs', { user: 'gen', verifiedBy: 'callback' }))),
      Promise.all(ws.map((w) => w.result<{ id: string; code: string; error?: string }[]>())),
    ]);
    processRuns.push(...cliRuns);

    const issued: { id: string; code: string }[] = [];
    for (const r of cliRuns) {
      expect(r.code, describeRun(r)).toBe(0);
      issued.push(JSON.parse(r.stdout));
    }
    for (const r of httpRes) {
      expect(r.status, r.text).toBe(201);
      issued.push(r.json);
    }
    for (const r of workerRes.flat()) {
      expect(r.error, JSON.stringify(r)).toBeUndefined();
      issued.push(r);
    }
    expect(issued).toHaveLength(ISSUES);
    const ids = issued.map((t) => t.id);
    expect(new Set(ids).size).toBe(ISSUES);

    const rows = withDb(env.dbPath, (db) => db.prepare('SELECT id, revoked_at, revoked_reason FROM tacs WHERE user_id = ?').all(user.id)) as { id: string; revoked_at: string | null; revoked_reason: string | null }[];
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    const live = rows.filter((r) => r.revoked_at === null);
    expect(live).toHaveLength(1);
    expect(rows.filter((r) => r.revoked_reason === 'replaced')).toHaveLength(ISSUES - 1);
    for (const id of ids) {
      expect(auditCount("action = 'tac.generated' AND tac_id = ?", id), id).toBe(1);
      expect(auditCount("action = 'tac.revoked' AND tac_id = ? AND reason = 'replaced'", id), id).toBe(id === live[0]!.id ? 0 : 1);
    }
    // The survivor's code works; a replaced one answers revoked.
    const survivor = issued.find((t) => t.id === live[0]!.id)!;
    const replaced = issued.find((t) => t.id !== live[0]!.id)!;
    expect((await http(appToken(), 'POST', '/v1/tacs/verify', { user: 'gen', code: replaced.code })).json).toEqual({ valid: false, reason: 'revoked' });
    expect((await http(appToken(), 'POST', '/v1/tacs/verify', { user: 'gen', code: survivor.code })).json).toMatchObject({ valid: true });
  }, 180_000);

  it(`CLI processes and the server writing at once (${WRITES} writes, a long import transaction meanwhile): no SQLITE_BUSY reaches anyone, no lost update`, async () => {
    await env.ok(['policy', 'set', '--multi-use-allowed']);
    await env.addUser('multi');
    const multi = await env.issue('multi', '--multi-use');
    const uses = Math.floor(WRITES / 2);
    const adds = WRITES - uses;
    const cliUses = Math.floor(uses / 3);
    const httpUses = Math.floor(uses / 3);
    const workerUses = uses - cliUses - httpUses;
    const cliAdds = Math.floor(adds / 3);
    const httpAdds = Math.floor(adds / 3);
    const workerAdds = adds - cliAdds - httpAdds;
    const before = withDb(env.dbPath, (db) => (db.prepare('SELECT count(*) n FROM users').get() as { n: number }).n);

    // A writer that holds the lock for a while: one transaction importing many guests.
    const bulkRows = size(1500, 5000);
    const bulk = env.worker('bulk.mjs', { rows: bulkRows });
    const ws = [
      env.worker('ops.mjs', { ops: [{ op: 'verify', user: 'multi', code: multi.code, times: Math.ceil(workerUses / 2) }] }),
      env.worker('ops.mjs', { ops: [{ op: 'verify', user: 'multi', code: multi.code, times: Math.floor(workerUses / 2) }] }),
      env.worker('ops.mjs', { ops: [{ op: 'addUser', prefix: 'wadd', times: workerAdds }] }),
    ];
    await Promise.all([bulk.ready, ...ws.map((w) => w.ready)]);
    bulk.go();
    for (const w of ws) w.go();
    const [cliVerify, cliAdd, httpVerify, httpAdd, workerRes, bulkRes] = await Promise.all([
      pool(Array.from({ length: cliUses }), 16, () => env.tac(['verify', '--user', 'multi', '--json'], { stdin: `${multi.code}\n` })),
      pool(Array.from({ length: cliAdds }, (_, i) => i), 16, (i) => env.tac(['users', 'add', '--username', `cadd-${i}`, '--email', `cadd-${i}@example.com`, '--json'])),
      Promise.all(Array.from({ length: httpUses }, () => http(appToken(), 'POST', '/v1/tacs/verify', { user: 'multi', code: multi.code }))),
      Promise.all(Array.from({ length: httpAdds }, (_, i) => http(admin, 'POST', '/v1/users', { username: `hadd-${i}`, email: `hadd-${i}@example.com` }))),
      Promise.all(ws.map((w) => w.result<{ valid?: boolean; id?: string; error?: string }[]>())),
      bulk.result<{ created: number; error?: string }>(),
    ]);
    processRuns.push(...cliVerify, ...cliAdd);

    for (const r of [...cliVerify, ...cliAdd]) expect(r.code, describeRun(r)).toBe(0);
    for (const r of cliVerify) expect(JSON.parse(r.stdout)).toMatchObject({ valid: true });
    for (const r of httpVerify) expect(r.json, r.text).toMatchObject({ valid: true });
    for (const r of httpAdd) expect(r.status, r.text).toBe(201);
    for (const r of workerRes.flat()) expect(r.error, JSON.stringify(r)).toBeUndefined();
    expect(bulkRes).toEqual({ created: bulkRows });

    // No lost update: every use is counted, every user exists, each with its event.
    withDb(env.dbPath, (db) => {
      expect(db.prepare('SELECT use_count FROM tacs WHERE id = ?').get(multi.id)).toEqual({ use_count: uses });
      expect((db.prepare('SELECT count(*) n FROM users').get() as { n: number }).n).toBe(before + adds + bulkRows);
    });
    expect(auditCount("action = 'tac.verified' AND tac_id = ?", multi.id)).toBe(uses);
  }, 180_000);

  it('afterwards: no output of any process or response mentions a lock error or a stack, and every invariant holds', () => {
    for (const r of [...processRuns, ...env.runs]) {
      expect(`${r.stdout}${r.stderr}`, describeRun(r)).not.toMatch(BUSY_RE);
      expect(r.stderr, describeRun(r)).not.toMatch(STACK_RE);
    }
    for (const r of responses) {
      expect(r.status).toBeLessThan(500);
      expect(r.text).not.toMatch(BUSY_RE);
    }
    expect(server.log()).not.toMatch(BUSY_RE);
    expect(withDb(env.dbPath, (db) => invariantViolations(db, { guestsHaveTacs: true }))).toEqual([]);
  });
});
