import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePg } from './db.js';
import { isServerError, pgInvariantViolations, pool, prng, Replicas, wrongCode, type ApiResult } from './replicas.js';

/**
 * The cross-replica guarantees, with real processes: 3 `tac serve` replicas on one PostgreSQL
 * database, requests spread round-robin over them, released together. One-time codes, lockouts,
 * the one-live-TAC rule, imports, agent revocation and purges hold across replicas as they do in
 * one process (the SQLite twin: test/robust/concurrency.test.ts).
 */
const VERIFIES = 200;
const GUESSES = 100;
const GENERATES = 12;
const MAX_FAILED = 3; // the default policy's maxFailedAttempts

describePg('replicas: the guarantees across 3 tac serve processes on one PostgreSQL database', () => {
  let r: Replicas;
  const rnd = prng(12_2026);
  const all = <T>(n: number, fn: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
  const tally = (answers: ApiResult[]) => {
    const t: Record<string, number> = {};
    for (const a of answers) {
      expect(a.status, a.text).toBe(200);
      const key = a.json.valid ? 'valid' : a.json.reason;
      t[key] = (t[key] ?? 0) + 1;
    }
    return t;
  };
  const audits = async (where: string, ...params: unknown[]) =>
    (await r.query<{ n: number }>(`SELECT count(*)::int n FROM audit WHERE ${where}`, params))[0]!.n;

  const addUser = async (username: string) => {
    const res = await r.http(r.tokens.admin, 'POST', '/v1/users', { username, email: `${username}@example.com` });
    expect(res.status, res.text).toBe(201);
    return res.json as { id: string };
  };
  const issue = async (user: string, extra: Record<string, unknown> = {}) => {
    const res = await r.http(r.tokens.helpdesk, 'POST', '/v1/tacs', { user, verifiedBy: 'callback', ...extra });
    expect(res.status, res.text).toBe(201);
    return res.json as { id: string; code: string };
  };
  const verify = (user: string, code: string, token = r.app()) => r.http(token, 'POST', '/v1/tacs/verify', { user, code });

  beforeAll(async () => {
    r = await Replicas.start(3);
  }, 180_000);

  afterAll(async () => {
    if (!r) return;
    const unclean = await r.stop();
    expect(unclean).toEqual([]);
    expect(r.serverErrorsLogged()).toEqual([]);
  }, 60_000);

  it(`one one-time code, ${VERIFIES} verifications at once over the replicas: exactly one success, every other already_used`, async () => {
    const user = await addUser('race');
    const tac = await issue('race');
    const answers = await all(VERIFIES, () => verify('race', tac.code));
    expect(tally(answers)).toEqual({ valid: 1, already_used: VERIFIES - 1 });
    expect(await r.query('SELECT use_count FROM tacs WHERE id = $1', [tac.id])).toEqual([{ use_count: 1 }]);
    expect(await audits("action = 'tac.verified' AND tac_id = $1", tac.id)).toBe(1);
    expect(await audits("action = 'tac.verify_failed' AND user_id = $1 AND reason = 'already_used'", user.id)).toBe(VERIFIES - 1);
  }, 120_000);

  it(`${GUESSES} wrong guesses at once over the replicas: exactly maxFailedAttempts counted, then locked_out, even for the right code`, async () => {
    const user = await addUser('guess');
    const tac = await issue('guess');
    const answers = await all(GUESSES, () => verify('guess', wrongCode(tac.code, rnd)));
    expect(tally(answers)).toEqual({ invalid_code: MAX_FAILED, locked_out: GUESSES - MAX_FAILED });
    expect(await audits("action = 'tac.verify_failed' AND user_id = $1 AND reason = 'invalid_code'", user.id)).toBe(MAX_FAILED);
    expect(await audits("action = 'user.locked_out' AND user_id = $1", user.id)).toBe(1);
    expect(await r.query('SELECT failed_attempts FROM users WHERE id = $1', [user.id])).toEqual([{ failed_attempts: MAX_FAILED }]);
    // The lock is in the database: every replica refuses even the right code.
    for (const url of r.urls()) expect((await r.http(r.app(), 'POST', '/v1/tacs/verify', { user: 'guess', code: tac.code }, { url })).json).toMatchObject({ valid: false, reason: 'locked_out' });
  }, 120_000);

  it(`${GENERATES} generates at once for one user over the replicas: each answered, exactly one live TAC, the others replaced`, async () => {
    const user = await addUser('gen');
    const issued = await all(GENERATES, () => r.http(r.tokens.helpdesk, 'POST', '/v1/tacs', { user: 'gen', verifiedBy: 'callback' }));
    for (const res of issued) expect(res.status, res.text).toBe(201);
    const rows = await r.query<{ id: string; revoked_reason: string | null }>('SELECT id, revoked_reason FROM tacs WHERE user_id = $1 ORDER BY seq', [user.id]);
    expect(rows.map((t) => t.id).sort()).toEqual(issued.map((res) => res.json.id).sort());
    const live = rows.filter((t) => t.revoked_reason === null);
    expect(live).toHaveLength(1);
    expect(rows.filter((t) => t.revoked_reason === 'replaced')).toHaveLength(GENERATES - 1);
    // The newest row is the live one, and its code (only its code) verifies on every replica.
    expect(live[0]!.id).toBe(rows[rows.length - 1]!.id);
    const liveCode = issued.find((res) => res.json.id === live[0]!.id)!.json.code as string;
    const replaced = issued.find((res) => res.json.id !== live[0]!.id)!.json.code as string;
    expect((await verify('gen', replaced)).json).toMatchObject({ valid: false });
    expect((await verify('gen', liveCode)).json).toMatchObject({ valid: true, tac: { id: live[0]!.id } });
  }, 120_000);

  it('guests imported through one replica while the others verify, and the same batch imported through another at once: each email created once', async () => {
    // A policy change through one replica holds on the others from their next request.
    expect((await r.http(r.tokens.admin, 'PATCH', '/v1/policy', { multiUseAllowed: true })).status).toBe(200);
    await addUser('steady');
    const steady = await issue('steady', { oneTime: false });
    const rows = Array.from({ length: 150 }, (_, i) => ({ line: i + 2, input: { email: `guest${i}@example.com`, name: `Guest ${i}` } }));
    const [urlA, urlB] = r.urls();
    const [first, second, verdicts] = await Promise.all([
      r.http(r.tokens.provisioner, 'POST', '/v1/guests/import', { rows, onExisting: 'skip' }, { url: urlA }),
      r.http(r.tokens.provisioner, 'POST', '/v1/guests/import', { rows, onExisting: 'skip' }, { url: urlB }),
      pool(Array.from({ length: 120 }), 30, () => verify('steady', steady.code)),
    ]);
    expect(tally(verdicts)).toEqual({ valid: 120 });
    expect(await r.query('SELECT use_count FROM tacs WHERE id = $1', [steady.id])).toEqual([{ use_count: 120 }]);
    expect(first.status, first.text).toBe(200);
    expect(second.status, second.text).toBe(200);
    // Both batches answered line by line: each email created by exactly one, skipped by the other.
    const created = [...first.json, ...second.json].filter((x: { status: string }) => x.status === 'created');
    expect(created.map((x: { tac: { user: { email: string } } }) => x.tac.user.email).sort()).toEqual(rows.map((x) => x.input.email).sort());
    expect([...first.json, ...second.json].filter((x: { status: string }) => x.status === 'skipped')).toHaveLength(rows.length);
    expect(await r.query("SELECT count(*)::int n FROM users WHERE guest AND email LIKE 'guest%@example.com'")).toEqual([{ n: rows.length }]);
    // A code imported through one replica verifies through the others.
    const sample = created.slice(0, 6) as { tac: { code: string; user: { email: string } } }[];
    for (const g of sample) expect((await verify(g.tac.user.email, g.tac.code)).json).toMatchObject({ valid: true });
  }, 120_000);

  it('an agent revoked through one replica is refused by the others on the very next request', async () => {
    const creds = await r.agent('doomed', 'app');
    const token = await r.token(creds);
    await addUser('rv');
    await issue('rv');
    const [urlA, urlB, urlC] = r.urls() as [string, string, string];
    // Each replica has just accepted the token (so any cache would hold it) ...
    for (const url of [urlA, urlB, urlC]) expect((await r.http(token, 'POST', '/v1/tacs/verify', { user: 'rv', code: 'ZZZZZZZZ' }, { url })).status).toBe(200);
    expect((await r.http(r.tokens.admin, 'DELETE', `/v1/agents/${creds.clientId}`, undefined, { url: urlA })).status).toBe(200);
    // ... and the very next request on each other replica is refused, as is a new token.
    for (const url of [urlB, urlC]) {
      const res = await r.http(token, 'POST', '/v1/tacs/verify', { user: 'rv', code: 'ZZZZZZZZ' }, { url });
      expect(res.status, res.text).toBe(401);
      expect(res.json).toMatchObject({ code: 'unauthenticated' });
    }
    const again = await r.http(undefined, 'POST', '/oauth/token',
      new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret }).toString(),
      { url: urlC, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    // RFC 6749 §5.2: invalid_client, 400 when the client did not authenticate with a header.
    expect([again.status, again.json]).toEqual([400, expect.objectContaining({ error: 'invalid_client' })]);
  }, 120_000);

  it('a policy change through one replica applies to the very next request on every other', async () => {
    await addUser('policy');
    const urls = r.urls();
    for (const [i, enabled] of [[0, false], [1, true], [2, false], [0, true]] as const) {
      const set = await r.http(r.tokens.admin, 'PATCH', '/v1/policy', { enabled }, { url: urls[i] });
      expect(set.status, set.text).toBe(200);
      for (const [j, url] of urls.entries()) {
        if (j === i) continue;
        // Issuing reads the policy: refused (422) on every replica the moment it is disabled anywhere.
        const res = await r.http(r.tokens.helpdesk, 'POST', '/v1/tacs', { user: 'policy', verifiedBy: 'callback' }, { url });
        expect(res.status, `replica ${j} after replica ${i} set enabled=${enabled}: ${res.text}`).toBe(enabled ? 201 : 422);
        const shown = await r.http(r.tokens.admin, 'GET', '/v1/policy', undefined, { url });
        expect(shown.json.enabled).toBe(enabled);
      }
    }
  });

  it('purges at once from every replica, `tac purge --db` processes and purging generates: no errors, each finished TAC deleted and audited once', async () => {
    // 30 finished TACs (replaced), then a policy that purges them at once.
    const users = Array.from({ length: 30 }, (_, i) => `p${i}`);
    await pool(users, 10, (u) => addUser(u));
    const finished = await pool(users, 10, async (u) => (await issue(u)).id);
    // The live TACs the racing generates will replace: those may be purged in the race too.
    const replacedInRace = await pool(users, 10, async (u) => (await issue(u)).id);
    const pending = (await r.query<{ id: string }>('SELECT id FROM tacs WHERE revoked_at IS NOT NULL OR (one_time AND use_count > 0)')).map((t) => t.id);
    expect(pending).toEqual(expect.arrayContaining(finished));
    expect(pending.length).toBeLessThanOrEqual(100); // each audit row then names all its ids
    expect((await r.http(r.tokens.admin, 'PATCH', '/v1/policy', { purgeAfterDays: 0 })).status).toBe(200);

    const [httpPurges, cliPurges, generates] = await Promise.all([
      all(9, () => r.http(r.tokens.admin, 'POST', '/v1/purge')),
      all(3, () => r.cli(['purge', '--db', r.dbUrl, '--json'])),
      all(6, (i) => r.http(r.tokens.helpdesk, 'POST', '/v1/tacs', { user: `p${i}`, verifiedBy: 'callback' })),
    ]);
    for (const res of [...httpPurges, ...generates]) expect(res.status, res.text).toBeLessThan(300);
    for (const run of cliPurges) expect(run.code, run.stderr).toBe(0);
    const answered = [...httpPurges.map((res) => res.json.tacIds as string[]), ...cliPurges.map((run) => JSON.parse(run.stdout).tacIds as string[])].flat();
    expect(new Set(answered).size, 'a TAC reported purged twice').toBe(answered.length);

    const audited = (await r.query<{ details: string }>("SELECT details FROM audit WHERE action = 'tac.purged'"))
      .map((row) => JSON.parse(row.details) as { count: number; tacIds: string[] });
    expect(audited.every((d) => d.count > 0 && d.count === d.tacIds.length)).toBe(true);
    const auditedIds = audited.flatMap((d) => d.tacIds);
    expect(new Set(auditedIds).size, 'a TAC audited as purged twice').toBe(auditedIds.length);
    const purgeable = new Set([...pending, ...replacedInRace.slice(0, 6)]);
    expect(auditedIds).toEqual(expect.arrayContaining(pending));
    expect([...auditedIds, ...answered].filter((id) => !purgeable.has(id))).toEqual([]);
    expect(answered.every((id) => auditedIds.includes(id))).toBe(true);
    expect(await r.query('SELECT id FROM tacs WHERE id = ANY($1::text[])', [pending])).toEqual([]);
    expect(await pgInvariantViolations(r)).toEqual([]);
  }, 180_000);

  it('no answer was a server error, and no replica log or CLI output holds a code, secret or token handed out', () => {
    expect(r.responses.filter(isServerError).map((res) => res.text)).toEqual([]);
    expect(r.secrets.length).toBeGreaterThan(150 + GENERATES); // the imported guests' codes among them
    // The scan reads real request logs: every replica logged requests (with their ids).
    expect(r.replicaLogs().every((log) => log.includes('"reqId"'))).toBe(true);
    expect(r.secretLeaks()).toEqual([]);
  });
});
