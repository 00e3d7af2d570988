import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePg } from './db.js';
import { isServerError, pgInvariantViolations, pool, Replicas, type ApiResult } from './replicas.js';

/**
 * Faults with real processes: 3 `tac serve` replicas on one PostgreSQL database, one SIGKILLed
 * during a burst of writes and one in the middle of an import's transaction. The others keep
 * answering, nothing is half-written (the SQLite crash tests' invariants, test/pg/replicas.ts),
 * every write that was answered is there, and a restarted replica serves.
 */
const WRITES = 160;
const IMPORT_ROWS = 1500;

type Sent = { url: string; kind: string; res?: ApiResult; lost?: string };

describePg('replicas: SIGKILL of a replica during writes on one PostgreSQL database', () => {
  let r: Replicas;

  beforeAll(async () => {
    r = await Replicas.start(3);
  }, 180_000);

  afterAll(async () => {
    if (!r) return;
    expect(await r.stop()).toEqual([]);
  }, 60_000);

  /** One write of the burst's mix, sent to `url`: a generate, a user, a guest, or a small guest import. */
  function write(i: number, url: string): Promise<ApiResult> {
    switch (i % 4) {
      case 0: return r.http(r.tokens.helpdesk, 'POST', '/v1/tacs', { user: `base${i % 20}`, verifiedBy: 'callback' }, { url });
      case 1: return r.http(r.tokens.admin, 'POST', '/v1/users', { username: `burst${i}`, email: `burst${i}@example.com` }, { url });
      case 2: return r.http(r.tokens.provisioner, 'POST', '/v1/guests', { email: `bguest${i}@example.com` }, { url });
      default: return r.http(r.tokens.provisioner, 'POST', '/v1/guests/import', {
        onExisting: 'fail', rows: Array.from({ length: 10 }, (_, k) => ({ line: k + 2, input: { email: `imp${i}-${k}@example.com` } })),
      }, { url });
    }
  }

  it(`SIGKILL of one replica during ${WRITES} writes over all three: the others answer every request 2xx; nothing half-written; every answered write is there`, async () => {
    await pool(Array.from({ length: 20 }, (_, i) => i), 10, async (i) => {
      expect((await r.http(r.tokens.admin, 'POST', '/v1/users', { username: `base${i}`, email: `base${i}@example.com` })).status).toBe(201);
    });
    const victim = r.urls()[1]!;
    let answered = 0;
    let killed: Promise<void> | undefined;
    const sent = await pool(Array.from({ length: WRITES }, (_, i) => i), 24, async (i): Promise<Sent> => {
      const url = r.next();
      const kind = ['generate', 'user', 'guest', 'import'][i % 4]!;
      try {
        const res = await write(i, url);
        // Killed once a quarter of the burst was answered, while the rest is in flight.
        if (++answered === WRITES / 4) killed = r.kill(1);
        return { url, kind, res };
      } catch (e) {
        return { url, kind, lost: String((e as Error).cause ?? e) };
      }
    });
    await killed;
    const lost = sent.filter((s) => s.lost);
    console.log(`[replicas-crash] ${sent.length - lost.length} answered, ${lost.length} lost with the killed replica`);
    // Only requests to the killed replica may go unanswered; every answer of any replica is a success.
    expect(lost.filter((s) => s.url !== victim)).toEqual([]);
    const answers = sent.filter((s) => s.res).map((s) => s.res!);
    expect(answers.filter((a) => a.status >= 300).map((a) => a.text)).toEqual([]);
    expect(sent.filter((s) => s.url !== victim)).toHaveLength(sent.filter((s) => s.url !== victim && s.res).length);

    // Everything an answer reported is in the database.
    const tacIds = answers.flatMap((a) => (Array.isArray(a.json) ? a.json.map((x: { tac: { id: string } }) => x.tac.id) : a.json.code ? [a.json.id] : []));
    const userIds = answers.filter((a) => !Array.isArray(a.json) && !a.json.code).map((a) => a.json.id as string);
    expect((await r.query('SELECT count(*)::int n FROM tacs WHERE id = ANY($1::text[])', [tacIds]))[0]).toEqual({ n: tacIds.length });
    expect((await r.query('SELECT count(*)::int n FROM users WHERE id = ANY($1::text[])', [userIds]))[0]).toEqual({ n: userIds.length });
    // An import answered or lost: all of its 10 guests or none.
    const perImport = await r.query<{ batch: string; n: number }>(
      `SELECT split_part(email, '-', 1) batch, count(*)::int n FROM users WHERE email LIKE 'imp%' GROUP BY 1 HAVING count(*) <> 10`);
    expect(perImport).toEqual([]);
    expect(await pgInvariantViolations(r)).toEqual([]);
  }, 180_000);

  it('a restarted replica serves: it verifies a code issued before the crash, issues and adds users', async () => {
    const serve = await r.startReplica(1);
    const guest = r.responses.find((a) => a.status === 201 && a.json?.code && a.json.user?.email?.startsWith('bguest'))!;
    const verdict = await r.http(r.app(), 'POST', '/v1/tacs/verify', { user: guest.json.user.email, code: guest.json.code }, { url: serve.url });
    expect(verdict.json).toMatchObject({ valid: true, tac: { id: guest.json.id } });
    expect((await r.http(r.tokens.admin, 'POST', '/v1/users', { username: 'after', email: 'after@example.com' }, { url: serve.url })).status).toBe(201);
    expect((await r.http(r.tokens.helpdesk, 'POST', '/v1/tacs', { user: 'after', verifiedBy: 'callback' }, { url: serve.url })).status).toBe(201);
    expect(r.liveCount).toBe(3);
  }, 120_000);

  it(`SIGKILL of the replica in the middle of a ${IMPORT_ROWS}-guest import's transaction: none of the batch is written, and it then imports whole elsewhere`, async () => {
    const rows = Array.from({ length: IMPORT_ROWS }, (_, k) => ({ line: k + 2, input: { email: `big${k}@example.com` } }));
    const target = r.urls()[2]!;
    const watcher = new pg.Client({ connectionString: r.dbUrl });
    await watcher.connect();
    let inTransaction = false;
    try {
      const sending = r.http(r.tokens.provisioner, 'POST', '/v1/guests/import', { rows, onExisting: 'fail' }, { url: target }).then(
        (res) => ({ res }), (e: Error) => ({ lost: String(e.cause ?? e) }));
      // Nothing else writes now: a transaction past its first statement, on tac's tables, is the import's.
      for (let polls = 0; polls < 20_000 && !inTransaction; polls++) {
        const open = await watcher.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND state IN ('active', 'idle in transaction') AND xact_start < query_start AND query ~* '\\m(users|tacs|audit)\\M'`);
        inTransaction = open.rows.length > 0;
      }
      if (inTransaction) await r.kill(2);
      const outcome = await sending;
      const written = (await watcher.query("SELECT count(*)::int n FROM users WHERE email LIKE 'big%@example.com'")).rows[0].n as number;
      console.log(`[replicas-crash] import: killed mid-transaction ${inTransaction}; ${'res' in outcome ? `answered ${outcome.res.status}` : 'lost'}; ${written} written`);
      expect(inTransaction, 'the import transaction was never seen open').toBe(true);
      // All of the batch or none; all of it when it was answered (a kill between commit and answer leaves all, unanswered).
      expect([0, IMPORT_ROWS]).toContain(written);
      if ('res' in outcome) expect([outcome.res.status, written]).toEqual([200, IMPORT_ROWS]);
    } finally {
      await watcher.end();
    }
    expect(await pgInvariantViolations(r)).toEqual([]);
    const again = await r.http(r.tokens.provisioner, 'POST', '/v1/guests/import', { rows, onExisting: 'skip' });
    expect(again.status, again.text).toBe(200);
    expect(again.json.filter((x: { status: string }) => x.status === 'created').length
      + again.json.filter((x: { status: string }) => x.status === 'skipped').length).toBe(IMPORT_ROWS);
    expect(await r.query("SELECT count(*)::int n FROM users WHERE guest AND email LIKE 'big%@example.com'")).toEqual([{ n: IMPORT_ROWS }]);
    expect(await pgInvariantViolations(r)).toEqual([]);
  }, 180_000);

  it('no answer was a server error, and no replica log (killed ones included) holds a code, secret or token handed out', () => {
    expect(r.responses.filter(isServerError).map((res) => res.text)).toEqual([]);
    expect(r.serverErrorsLogged()).toEqual([]);
    expect(r.replicaLogs().every((log) => log.includes('"reqId"'))).toBe(true);
    expect(r.secrets.length).toBeGreaterThan(IMPORT_ROWS);
    expect(r.secretLeaks()).toEqual([]);
  });

  it('the invariant checker is not blind: writes that bypass the core are each reported', async () => {
    const [u] = await r.query<{ id: string }>("SELECT id FROM users WHERE username = 'after'");
    // Another user's TAC used twice (so 'after' keeps its live TAC, and gets a second one).
    const [t] = await r.query<{ id: string }>('SELECT id FROM tacs WHERE user_id <> $1 AND one_time LIMIT 1', [u!.id]);
    await r.query(`INSERT INTO tacs (id, user_id, code_hash, case_sensitive, created_at, starts_at, expires_at, one_time, created_by)
      VALUES ('tac_bypass', $1, 'x', false, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z', true, 'test')`, [u!.id]);
    await r.query('UPDATE tacs SET use_count = 2 WHERE id = $1', [t!.id]);
    await r.query(`INSERT INTO audit (at, actor, action, outcome, details) VALUES ('2026-01-01T00:00:00.000Z', 'test', 'tac.purged', 'success', $1),
      ('2026-01-01T00:00:00.000Z', 'test', 'tac.purged', 'success', $1)`, [JSON.stringify({ count: 1, tacIds: [t!.id] })]);
    const found = (await pgInvariantViolations(r)).map((v) => v.split(':')[0]);
    expect(found).toEqual(expect.arrayContaining([
      'TAC without exactly one tac.generated event', 'user with more than one live TAC', 'one-time TAC used more than once',
      'TAC whose use count differs from its tac.verified events', 'TAC named by more than one tac.purged event', 'TAC named purged that still exists',
    ]));
  });
});
