import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TacError } from '../../src/core/errors.js';
import { q } from '../../src/core/flow.js';
import { TacCore } from '../../src/core/service.js';
import type { Verdict } from '../../src/core/types.js';
import type { PgEngine } from '../../src/store/postgres/engine.js';
import { pgCore } from '../pg/core.js';
import { pgAdminUrl } from '../pg/db.js';

/**
 * PostgreSQL's group commit (src/store/postgres/group-commit.ts): verifies submitted together share
 * one transaction, and must answer exactly as if each had run alone, one after another.
 * `count(DISTINCT xmin)` of the audit rows they wrote is how many transactions wrote them.
 */
describe.skipIf(!pgAdminUrl())('PostgreSQL group commit', () => {
  let engine: PgEngine;
  let core: TacCore;
  let admin: pg.Client;
  let close: () => Promise<void>;
  beforeAll(async () => ({ engine, core, admin, close } = await pgCore('group')));
  afterAll(async () => close?.());

  const grouped = (ref: string, code: string) => engine.store.grouped(() => core.verify(ref, code));
  const user = (username: string) => engine.run(core.addUser({ username, email: `${username}@example.com` }));
  const issue = async (username: string, oneTime: boolean) => (await engine.run(core.issueTac({ user: username, oneTime, verifiedBy: 'callback' }))).code;
  /** The verifies' audit rows for these users: how many, and in how many transactions. */
  async function audited(userIds: string[]) {
    const { rows } = await admin.query(
      "SELECT count(*)::int AS n, count(DISTINCT xmin::text)::int AS txs FROM audit WHERE user_id = ANY($1) AND action IN ('tac.verified', 'tac.verify_failed', 'user.locked_out')",
      [userIds],
    );
    return rows[0] as { n: number; txs: number };
  }
  const reasons = (vs: Verdict[]) => vs.map((v) => (v.valid ? 'valid' : v.reason));

  it('verifies of many users submitted together commit in far fewer transactions, each answered as alone', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `many${i}`);
    const ids: string[] = [];
    const codes: string[] = [];
    for (const n of names) {
      ids.push((await user(n)).id);
      codes.push(await issue(n, false));
    }
    const verdicts = await Promise.all(names.map((n, i) => grouped(n, codes[i]!)));
    expect(reasons(verdicts)).toEqual(Array(30).fill('valid'));
    const { n, txs } = await audited(ids);
    expect(n).toBe(30);
    expect(txs).toBeLessThan(10);
    for (const name of names) expect((await engine.run(core.showUser(name))).currentTac?.useCount).toBe(1);
  });

  it('one one-time code verified 12 times in one group, by username, email and id: exactly one success', async () => {
    const u = await user('onetime');
    const code = await issue('onetime', true);
    const refs = ['onetime', 'onetime@example.com', u.id];
    const verdicts = await Promise.all(Array.from({ length: 12 }, (_, i) => grouped(refs[i % 3]!, code)));
    expect(reasons(verdicts).sort()).toEqual([...Array(11).fill('already_used'), 'valid']);
    expect((await audited([u.id])).n).toBe(12);
  });

  it('a multi-use code verified 10 times in one group counts 10 uses', async () => {
    const u = await user('multi');
    const code = await issue('multi', false);
    const verdicts = await Promise.all(Array.from({ length: 10 }, () => grouped('multi', code)));
    expect(reasons(verdicts)).toEqual(Array(10).fill('valid'));
    expect((await engine.run(core.showUser('multi'))).currentTac?.useCount).toBe(10);
    expect(await audited([u.id])).toEqual({ n: 10, txs: expect.any(Number) });
  });

  it('wrong guesses in one group: exactly maxFailedAttempts counted, then locked_out, one lockout audited', async () => {
    const u = await user('guessed');
    await issue('guessed', true);
    const verdicts = await Promise.all(Array.from({ length: 8 }, (_, i) => grouped('guessed', `WRONG${i}`)));
    expect(reasons(verdicts)).toEqual([...Array(3).fill('invalid_code'), ...Array(5).fill('locked_out')]);
    const { rows } = await admin.query("SELECT count(*)::int AS n FROM audit WHERE user_id = $1 AND action = 'user.locked_out'", [u.id]);
    expect(rows[0].n).toBe(1);
    expect((await engine.run(core.showUser('guessed'))).failedAttempts).toBe(3);
  });

  it('a member that throws gets its error; the others run again alone and are written once', async () => {
    const names = ['solo1', 'solo2', 'solo3'];
    const ids = [];
    const codes = [];
    for (const n of names) {
      ids.push((await user(n)).id);
      codes.push(await issue(n, true));
    }
    const store = engine.store;
    const failing = store.grouped(function* () {
      yield* q(store.findUser('username', 'solo1'));
      throw new TacError('conflict', 'this member fails');
    });
    const others = names.map((n, i) => grouped(n, codes[i]!));
    await expect(failing).rejects.toThrow('this member fails');
    expect(reasons(await Promise.all(others))).toEqual(['valid', 'valid', 'valid']);
    expect((await audited(ids)).n).toBe(3);
  });

  it('a statement PostgreSQL refuses fails its member only; the group rolls back and the others run again', async () => {
    const u = await user('refused');
    const code = await issue('refused', true);
    const store = engine.store;
    const failing = store.grouped(function* () {
      yield* q(store.query('SELECT 1 / 0'));
    });
    const other = grouped('refused', code);
    await expect(failing).rejects.toBeTruthy();
    expect(reasons([await other])).toEqual(['valid']);
    expect((await audited([u.id])).n).toBe(1);
  });

  it('a flow writing what a group cannot follow runs alone, and so do the others of its group', async () => {
    const u = await user('unfollowed');
    const code = await issue('unfollowed', false);
    const store = engine.store;
    const writer = store.grouped(function* () {
      yield* q(store.findUser('username', 'unfollowed'));
      return yield* q(store.deleteTacs(['tac_that_does_not_exist']));
    });
    const others = Array.from({ length: 4 }, () => grouped('unfollowed', code));
    expect(await writer).toEqual([]);
    expect(reasons(await Promise.all(others))).toEqual(Array(4).fill('valid'));
    expect((await audited([u.id])).n).toBe(4);
  });

  it('prepared reads keep working on open connections after a migration adds columns', async () => {
    await user('migrated');
    const code = await issue('migrated', false);
    expect(reasons([await grouped('migrated', code)])).toEqual(['valid']);
    await admin.query('ALTER TABLE users ADD COLUMN later_column text; ALTER TABLE tacs ADD COLUMN later_column text');
    const verdicts = await Promise.all(Array.from({ length: 6 }, () => grouped('migrated', code)));
    expect(reasons(verdicts)).toEqual(Array(6).fill('valid'));
    expect((await engine.run(core.showUser('migrated'))).currentTac?.useCount).toBe(7);
  });
});
