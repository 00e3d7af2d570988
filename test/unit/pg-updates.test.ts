import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { q } from '../../src/core/flow.js';
import { TacCore } from '../../src/core/service.js';
import type { Verdict } from '../../src/core/types.js';
import type { PgEngine } from '../../src/store/postgres/engine.js';
import { pgCore } from '../pg/core.js';
import { pgAdminUrl } from '../pg/db.js';

/**
 * A transaction's UPDATEs of one table travel as one `UPDATE … FROM (VALUES …)` (src/store/postgres/tx.ts):
 * each row must end as if every UPDATE had run in turn, whatever the column types (integer, boolean,
 * text, NULL) — checked row by row, and that the group did commit as one transaction (a group whose
 * statement PostgreSQL refused would run its members alone and hide the error).
 */
describe.skipIf(!pgAdminUrl())('PostgreSQL UPDATEs sent together', () => {
  const T0 = '2026-01-01T00:00:00.000Z';
  const T1 = '2026-01-01T00:10:00.000Z'; // codes issued at T0 are still valid
  const clock = new FakeClock(T0);
  let engine: PgEngine;
  let core: TacCore;
  let admin: pg.Client;
  let close: () => Promise<void>;
  beforeAll(async () => ({ engine, core, admin, close } = await pgCore('updates', clock)));
  afterAll(async () => close?.());

  const add = async (username: string) => (await engine.run(core.addUser({ username, email: `${username}@example.com` }))).id;
  const issue = async (username: string) => (await engine.run(core.issueTac({ user: username, oneTime: false, verifiedBy: 'callback' }))).code;
  const users = async (ids: string[]) =>
    (await admin.query('SELECT id, failed_attempts, consecutive_failures, locked_until, disabled, name, updated_at, xmin::text AS tx FROM users WHERE id = ANY($1) ORDER BY id', [ids])).rows;
  const tacsOf = async (ids: string[]) =>
    (await admin.query('SELECT user_id, use_count, last_used_at, revoked_at, xmin::text AS tx FROM tacs WHERE user_id = ANY($1) ORDER BY user_id', [ids])).rows;

  it('a group verifying several users, and one user several times, writes every row as if run in turn', async () => {
    clock.set(T0);
    const names = ['ok0', 'ok1', 'ok2', 'many', 'wrong0', 'wrong1', 'locked', 'back'];
    const ids = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await add(n)] as const)));
    const codes: Record<string, string> = {};
    for (const n of names) codes[n] = await issue(n);
    // 'back' failed once before: its success in the group clears failedAttempts, keeps consecutiveFailures.
    expect((await engine.run(core.verify('back', 'WRONG'))).valid).toBe(false);
    clock.set(T1);
    const calls: [string, string][] = [
      ['ok0', codes.ok0!], ['ok1', codes.ok1!], ['ok2', codes.ok2!], ['back', codes.back!],
      ...Array.from({ length: 5 }, () => ['many', codes.many!] as [string, string]),
      ...['wrong0', 'wrong1'].flatMap((n) => [[n, 'WRONG1'], [n, 'WRONG2']] as [string, string][]),
      ...Array.from({ length: 4 }, (_, i) => ['locked', `WRONG${i}`] as [string, string]),
    ];
    const verdicts: Verdict[] = await Promise.all(calls.map(([n, c]) => engine.store.grouped(() => core.verify(n, c))));
    const lockedUntil = (verdicts.find((v) => !v.valid && v.reason === 'locked_out') as { lockedUntil?: string } | undefined)?.lockedUntil;
    expect(verdicts.filter((v) => v.valid)).toHaveLength(9);
    expect(lockedUntil).toBe('2026-01-01T00:25:00.000Z');

    const u = Object.fromEntries((await users(Object.values(ids))).map((r) => [r.id, r]));
    const expectUser = (n: string, failed: number, consecutive: number, locked: string | null, updated: string) =>
      expect(u[ids[n]!], n).toMatchObject({ failed_attempts: failed, consecutive_failures: consecutive, locked_until: locked, updated_at: updated });
    for (const n of ['ok0', 'ok1', 'ok2', 'many']) expectUser(n, 0, 0, null, T0);
    expectUser('back', 0, 1, null, T1);
    expectUser('wrong0', 2, 2, null, T1);
    expectUser('wrong1', 2, 2, null, T1);
    expectUser('locked', 3, 3, lockedUntil!, T1);
    const t = Object.fromEntries((await tacsOf(Object.values(ids))).map((r) => [r.user_id, r]));
    for (const n of ['ok0', 'ok1', 'ok2', 'back']) expect(t[ids[n]!], n).toMatchObject({ use_count: 1, last_used_at: T1, revoked_at: null });
    expect(t[ids.many!]).toMatchObject({ use_count: 5, last_used_at: T1 });
    for (const n of ['wrong0', 'wrong1', 'locked']) expect(t[ids[n]!], n).toMatchObject({ use_count: 0, last_used_at: null });
    // One transaction wrote every changed row: the group was not rolled back and run member by member.
    const written = [...['back', 'wrong0', 'wrong1', 'locked'].map((n) => u[ids[n]!].tx), ...['ok0', 'ok1', 'ok2', 'many', 'back'].map((n) => t[ids[n]!].tx)];
    expect(new Set(written).size).toBe(1);
  });

  it('a transaction updating several rows of a table: booleans, integers, text and NULLs, the last value of a column wins', async () => {
    const [a, b, c] = [await add('rows_a'), await add('rows_b'), await add('rows_c')];
    const store = engine.store;
    await store.transaction(function* () {
      yield* q(store.updateUser(a, { disabled: true, failedAttempts: 7, lockedUntil: null, name: null }));
      yield* q(store.updateUser(b, { disabled: false, failedAttempts: 0, lockedUntil: '2030-01-01T00:00:00.000Z', name: "O'Brien \\ x" }));
      yield* q(store.updateUser(c, { name: 'only the name' }));
      yield* q(store.updateUser(a, { failedAttempts: 8, disabled: false }));
      yield* q(store.updateUser(a, { disabled: true }));
    });
    const [ra, rb, rc] = await users([a, b, c].sort()).then((rows) => [a, b, c].map((id) => rows.find((r) => r.id === id)));
    expect(ra).toMatchObject({ disabled: true, failed_attempts: 8, locked_until: null, name: null });
    expect(rb).toMatchObject({ disabled: false, failed_attempts: 0, locked_until: '2030-01-01T00:00:00.000Z', name: "O'Brien \\ x" });
    expect(rc).toMatchObject({ disabled: false, failed_attempts: 0, locked_until: null, name: 'only the name' });
    expect(new Set([ra.tx, rb.tx, rc.tx]).size).toBe(1);
  });

  it('UPDATEs of a unique column run in turn: two users swapping phone numbers in one transaction', async () => {
    const [a, b] = [await add('swap_a'), await add('swap_b')];
    const store = engine.store;
    await store.transaction(function* () {
      yield* q(store.updateUser(a, { phone: '+15551230001' }));
      yield* q(store.updateUser(b, { phone: '+15551230002' }));
    });
    await store.transaction(function* () {
      yield* q(store.updateUser(a, { phone: null }));
      yield* q(store.updateUser(b, { phone: '+15551230001' }));
      yield* q(store.updateUser(a, { phone: '+15551230002' }));
    });
    const rows = (await admin.query('SELECT id, phone FROM users WHERE id = ANY($1)', [[a, b]])).rows;
    expect(Object.fromEntries(rows.map((r) => [r.id, r.phone]))).toEqual({ [a]: '+15551230002', [b]: '+15551230001' });
  });
});
