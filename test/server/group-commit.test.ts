import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, makeServer, type ServerHarness } from './helpers.js';

/**
 * Group commit on the server (src/store/sqlite/group-commit.ts): concurrent writes share one SQLite
 * transaction, each in its own savepoint. These check that the outcome is that of serial execution.
 * SQLite only: PostgreSQL runs each flow in a transaction of its own on a pooled connection.
 */
let h: ServerHarness;
let app: string;
let desk: string;
let batches: number[];

beforeEach(async () => {
  h = await makeServer({ verifyPerMinute: 100_000 });
  app = await h.tokenFor('app');
  desk = await h.tokenFor('helpdesk');
  batches = [];
  const store = h.sqlite().store;
  const batch = store.transactionBatch.bind(store);
  store.transactionBatch = (fns) => {
    batches.push(fns.length);
    return batch(fns);
  };
  h.sqlite().service.addUser({ username: 'ann', email: 'ann@example.com' });
});
afterEach(() => h.close());

const post = (token: string, url: string, payload: object) => h.app.inject({ method: 'POST', url, headers: bearer(token), payload });
const verify = (code: string, user = 'ann') => post(app, '/v1/tacs/verify', { user, code });
const auditCount = (where: string) =>
  (h.sqlite().store.db.prepare(`SELECT COUNT(*) AS n FROM audit WHERE ${where}`).get() as { n: number }).n;

describe('group commit', () => {
  it('concurrent verifies of a one-time code: exactly one succeeds, every attempt is audited', async () => {
    const { code } = h.sqlite().service.issueTac({ user: 'ann', oneTime: true, verifiedBy: 'callback' });
    const res = await Promise.all(Array.from({ length: 40 }, () => verify(code)));
    expect(Math.max(...batches)).toBeGreaterThan(1); // they did share transactions
    const verdicts = res.map((r) => r.json() as { valid: boolean; reason?: string });
    expect(verdicts.filter((v) => v.valid)).toHaveLength(1);
    expect(verdicts.filter((v) => v.reason === 'already_used')).toHaveLength(39);
    expect(auditCount("action = 'tac.verified'")).toBe(1);
    expect(auditCount("action = 'tac.verify_failed' AND reason = 'already_used'")).toBe(39);
  });

  it('concurrent wrong codes are counted exactly toward the lockout', async () => {
    h.sqlite().service.issueTac({ user: 'ann', verifiedBy: 'callback' });
    const res = await Promise.all(Array.from({ length: 10 }, () => verify('WRONG999')));
    expect(Math.max(...batches)).toBeGreaterThan(1);
    const reasons = res.map((r) => (r.json() as { reason: string }).reason);
    // Default policy: 3 failures lock the user; the rest are refused as locked out.
    expect(reasons.filter((r) => r === 'invalid_code')).toHaveLength(3);
    expect(reasons.filter((r) => r === 'locked_out')).toHaveLength(7);
    expect(h.sqlite().service.showUser('ann')).toMatchObject({ failedAttempts: 3, locked: true });
    expect(auditCount("action = 'user.locked_out'")).toBe(1);
  });

  it('a failing request in a batch does not roll back the others', async () => {
    h.sqlite().service.addUser({ username: 'cy', email: 'cy@example.com' });
    const { code } = h.sqlite().service.issueTac({ user: 'cy', oneTime: true, verifiedBy: 'callback' });
    const admin = await h.tokenFor('admin');
    const [issued, failed, verified, added] = await Promise.all([
      post(desk, '/v1/tacs', { user: 'ann', verifiedBy: 'callback' }),
      // Fails inside the core after reading: its savepoint is rolled back, nothing else.
      post(desk, '/v1/tacs', { user: 'nobody', verifiedBy: 'callback' }),
      verify(code, 'cy'),
      post(admin, '/v1/users', { username: 'bob', email: 'bob@example.com' }),
    ]);
    expect(batches).toContain(4);
    expect(failed.statusCode).toBe(404);
    expect(issued.statusCode).toBe(201);
    expect(added.statusCode).toBe(201);
    expect(verified.json()).toMatchObject({ valid: true });
    // Committed: the issued code verifies, the used one does not, bob exists, each audited once.
    expect((await verify((issued.json() as { code: string }).code)).json()).toMatchObject({ valid: true });
    expect((await verify(code, 'cy')).json()).toEqual({ valid: false, reason: 'already_used' });
    expect(h.sqlite().service.showUser('bob')).toMatchObject({ username: 'bob' });
    expect(auditCount("action = 'tac.generated'")).toBe(2);
    expect(auditCount("action = 'user.created'")).toBe(3);
  });
});
