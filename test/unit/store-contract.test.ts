import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { hmacHasher } from '../../src/core/codes.js';
import { TacError } from '../../src/core/errors.js';
import { q } from '../../src/core/flow.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { TacCore } from '../../src/core/service.js';
import type { Engine } from '../../src/store/engine.js';
import { openPostgres } from '../../src/store/postgres/engine.js';
import { SqliteEngine } from '../../src/store/sqlite/engine.js';
import { openDatabase, SqliteStore } from '../../src/store/sqlite/store.js';
import { createTestDatabase, pgAdminUrl } from '../pg/db.js';
import { event, tac, user } from '../pg/fixtures.js';

/**
 * The Store contract, the same assertions on every engine: SQLite (values) and PostgreSQL
 * (promises; skipped only where no test cluster runs, see test/pg/cluster.ts). Each test makes
 * its own rows with fresh ids, so one database serves the file.
 */
const ENGINES: [string, () => Promise<Engine>][] = [
  ['sqlite', async () => new SqliteEngine(new SqliteStore(openDatabase(':memory:')))],
  ['postgres', async () => openPostgres(await createTestDatabase('contract'), { poolSize: 8 })],
];

/** A value, a promise, or a synchronous throw, as one promise. */
const settle = <T>(fn: () => T | Promise<T>): Promise<T> => Promise.resolve().then(fn);

let n = 0;
const fresh = () => {
  const k = `${++n}`.padStart(4, '0') + randomBytes(6).toString('hex');
  return { id: `usr_${k}`, username: `u${k}`, email: `u${k}@example.com`, phone: `+1555${String(n).padStart(7, '0')}` };
};

for (const [name, open] of ENGINES) {
  describe.skipIf(name === 'postgres' && !pgAdminUrl())(`Store contract [${name}]`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await open();
    });
    afterAll(async () => engine?.close());
    const s = () => engine.store;

    it('round-trips users (booleans, nulls), finds them case-insensitively, patches and deletes them', async () => {
      const u = user({ ...fresh(), guest: true, name: null });
      await s().insertUser(u);
      expect(await s().getUser(u.id)).toEqual(u);
      expect(await s().findUser('username', u.username.toUpperCase())).toEqual(u);
      expect(await s().findUser('email', u.email.toUpperCase())).toEqual(u);
      expect(await s().findUser('phone', u.phone!)).toEqual(u);
      await s().updateUser(u.id, { disabled: true, failedAttempts: 2, lockedUntil: '2026-01-01T00:15:00.000Z' });
      expect(await s().getUser(u.id)).toEqual({ ...u, disabled: true, failedAttempts: 2, lockedUntil: '2026-01-01T00:15:00.000Z' });
      await s().deleteUser(u.id);
      expect(await s().getUser(u.id)).toBeUndefined();
    });

    it('lists a user\'s TACs newest first; deleting the user deletes them; purge candidates by cutoff', async () => {
      const u = user(fresh());
      await s().insertUser(u);
      const ids = [1, 2, 3].map((i) => `tac_${u.id.slice(4)}${i}`);
      await s().insertTac(tac({ id: ids[0], userId: u.id, expiresAt: '2026-01-01T00:30:00.000Z' }));
      await s().insertTac(tac({ id: ids[1], userId: u.id, revokedAt: '2026-01-01T00:10:00.000Z', revokedReason: 'replaced' }));
      await s().insertTac(tac({ id: ids[2], userId: u.id, caseSensitive: true, oneTime: false }));
      expect([...await s().iterateTacs({ userId: u.id })].map((t) => t.id)).toEqual([ids[2], ids[1], ids[0]]);
      await s().updateTac(ids[2]!, { useCount: 3, lastUsedAt: '2026-01-01T00:05:00.000Z' });
      expect(await s().getTac(ids[2]!)).toEqual(tac({ id: ids[2], userId: u.id, caseSensitive: true, oneTime: false, useCount: 3, lastUsedAt: '2026-01-01T00:05:00.000Z' }));
      const candidates = (await s().purgeCandidates('2026-01-01T00:40:00.000Z')).map((t) => t.id).filter((id) => ids.includes(id));
      expect(candidates.sort()).toEqual([ids[0], ids[1]].sort());
      expect(await s().deleteTacs([ids[0]!, 'tac_neverexisted'])).toEqual([ids[0]]);
      expect(await s().getTac(ids[0]!)).toBeUndefined();
      expect(await s().deleteTacs([ids[0]!])).toEqual([]);
      await s().deleteUser(u.id);
      expect([...await s().iterateTacs({ userId: u.id })]).toEqual([]);
    });

    it('pages through every TAC newest first, as iterateTacs lists them; listing reads pages only as far as it shows', async () => {
      const u = user(fresh());
      const tacs = Array.from({ length: 1100 }, (_, i) => tac({
        id: `tac_${u.id.slice(4)}_${i}`, userId: u.id, revokedAt: i % 3 === 0 ? '2026-01-01T00:10:00.000Z' : null, revokedReason: i % 3 === 0 ? 'deleted' : null,
      }));
      await s().insertMany({ users: [u], tacs, audit: [] });
      const all = [...await s().iterateTacs({})].map((t) => t.id);
      const paged: string[] = [];
      let after: number | undefined;
      for (let pages = 0; ; pages++) {
        const page = await s().tacPage(400, after);
        expect(page.tacs.length).toBeLessThanOrEqual(400);
        paged.push(...page.tacs.map((t) => t.id));
        if (page.next === undefined) break;
        after = page.next;
        expect(pages).toBeLessThan(100);
      }
      expect(paged).toEqual(all);
      expect(all.slice(0, 1100)).toEqual(tacs.map((t) => t.id).reverse());
      const core = new TacCore({ store: s(), clock: new FakeClock('2026-01-01T00:20:00.000Z'), hasher: hmacHasher(randomBytes(32)), actor: 't' });
      const revoked = await engine.run(core.listTacs({ status: 'revoked', limit: 300 }));
      expect(revoked.map((t) => t.id)).toEqual(tacs.filter((_, i) => i % 3 === 0).map((t) => t.id).reverse().slice(0, 300));
      const active = await engine.run(core.listTacs({ status: 'active', limit: 700 }));
      expect(active.map((t) => t.id)).toEqual(tacs.filter((_, i) => i % 3 !== 0).map((t) => t.id).reverse().slice(0, 700));
    });

    it('searches by substring, case-insensitively, with LIKE characters taken literally', async () => {
      const a = user({ ...fresh(), name: 'Zoë 100%_match' });
      const b = user({ ...fresh(), name: 'Zoe 1000 match', guest: true });
      await s().insertUser(a);
      await s().insertUser(b);
      expect((await s().searchUsers('100%_', { guestsOnly: false, limit: 10 })).map((x) => x.id)).toEqual([a.id]);
      expect((await s().searchUsers('ZOE 1000', { guestsOnly: false, limit: 10 })).map((x) => x.id)).toEqual([b.id]);
      expect((await s().searchUsers('match', { guestsOnly: true, limit: 10 })).map((x) => x.id)).toEqual([b.id]);
    });

    it('imports: users by email, taken usernames and phones, many rows at once', async () => {
      const rows = Array.from({ length: 70 }, () => user(fresh()));
      await s().insertMany({
        users: rows, tacs: rows.map((u) => tac({ id: `tac_${u.id.slice(4)}`, userId: u.id })), audit: rows.map((u) => event({ userId: u.id })),
      });
      const found = await s().usersByEmail([rows[0]!.email.toUpperCase(), 'nobody@example.com']);
      expect([...found.keys()]).toEqual([rows[0]!.email.toUpperCase()]);
      expect(found.get(rows[0]!.email.toUpperCase())).toEqual(rows[0]);
      expect(await s().anyTaken([rows[5]!.username.toUpperCase()], [])).toBe(true);
      expect(await s().anyTaken(['nobody-at-all'], [rows[9]!.phone!])).toBe(true);
      expect(await s().anyTaken(['nobody-at-all'], ['+15550000000'])).toBe(false);
      expect([...await s().iterateTacs({ userId: rows[69]!.id })]).toHaveLength(1);
    });

    it('appends and queries audit events newest first, by user, action and time', async () => {
      const userId = fresh().id;
      const added = [event({ userId, details: { a: 1, nested: { b: [1, 2] } } }), event({ userId, at: '2026-01-01T00:10:00.000Z', action: 'tac.generated', tacId: 'tac_x' })];
      for (const e of added) await s().appendAudit(e);
      const [e2, e1] = await s().queryAudit({ userId, limit: 10 });
      expect(e2!.id).toBeGreaterThan(e1!.id);
      expect([e1, e2]).toEqual([{ ...added[0], id: e1!.id }, { ...added[1], id: e2!.id }]);
      expect(await s().queryAudit({ userId, action: 'tac.generated', limit: 10 })).toEqual([e2]);
      expect(await s().queryAudit({ userId, since: '2026-01-01T00:05:00.000Z', limit: 10 })).toEqual([e2]);
    });

    it('keeps meta and the policy', async () => {
      await s().setMeta('k', 'v1');
      await s().setMeta('k', 'v2');
      expect(await s().getMeta('k')).toBe('v2');
      expect(await s().getMeta('absent')).toBeUndefined();
      await s().savePolicy({ ...DEFAULT_POLICY, defaultTtl: 42 });
      expect(await s().getPolicy()).toEqual({ ...DEFAULT_POLICY, defaultTtl: 42 });
    });

    it('a transaction rolls back when its flow throws, nested ones join it, and a unique clash is a conflict', async () => {
      const u = user(fresh());
      const store = s();
      // SQLite throws at once, PostgreSQL rejects: both become a rejection here.
      const failing = settle(() => store.transaction(function* () {
        yield* q(store.insertUser(u));
        yield* q(store.transaction(function* () { yield* q(store.setMeta(`inner-${u.id}`, 'x')); }));
        throw new Error('boom');
      }));
      await expect(failing).rejects.toThrow('boom');
      expect(await store.getUser(u.id)).toBeUndefined();
      expect(await store.getMeta(`inner-${u.id}`)).toBeUndefined();
      expect(await store.transaction(function* () { return 42; })).toBe(42);
      await store.insertUser(u);
      const clash = settle(() => store.insertUser({ ...u, id: fresh().id, username: u.username.toUpperCase(), email: fresh().email, phone: null }));
      await expect(clash).rejects.toThrow();
    });

    it('in a transaction, later reads see its writes, quotes and backslashes are written as given, and a throw leaves none', async () => {
      // PostgreSQL holds these writes back, inlined as literals, until the next statement or the COMMIT.
      const store = s();
      const u = user(fresh());
      const t = tac({ id: `tac_${u.id.slice(4)}`, userId: u.id });
      await store.insertUser(u);
      await store.insertTac(t);
      const odd = `it's \\ "odd" \\' $1 ;-- ü`;
      const e = event({ userId: u.id, tacId: t.id, reason: odd, details: { note: odd, n: 1.5, ok: true, none: null } });
      const seen = await store.transaction(function* () {
        yield* q(store.updateTac(t.id, { useCount: 3, lastUsedAt: '2026-01-01T00:05:00.000Z', revokedReason: odd, caseSensitive: true }));
        yield* q(store.updateUser(u.id, { failedAttempts: 2, lockedUntil: null, name: odd }));
        yield* q(store.appendAudit(e));
        const tacs = [...yield* q(store.iterateTacs({ userId: u.id }))];
        const got = yield* q(store.getUser(u.id));
        const audit = yield* q(store.queryAudit({ userId: u.id, limit: 5 }));
        return { tacs, got, audit };
      });
      const patchedTac = { ...t, useCount: 3, lastUsedAt: '2026-01-01T00:05:00.000Z', revokedReason: odd, caseSensitive: true };
      expect(seen.tacs).toEqual([patchedTac]);
      expect(seen.got).toEqual({ ...u, failedAttempts: 2, name: odd });
      expect(seen.audit).toEqual([{ ...e, id: seen.audit[0]!.id }]);
      // Writes last in a transaction commit with it.
      await store.transaction(function* () {
        yield* q(store.getUser(u.id));
        yield* q(store.updateTac(t.id, { useCount: 4 }));
        yield* q(store.appendAudit({ ...e, action: 'tac.verified' }));
      });
      expect(await store.getTac(t.id)).toEqual({ ...patchedTac, useCount: 4 });
      expect((await store.queryAudit({ userId: u.id, limit: 5 })).map((x) => x.action)).toEqual(['tac.verified', e.action]);
      // A flow that throws after its writes: none of them is kept.
      const failing = settle(() => store.transaction(function* () {
        yield* q(store.getUser(u.id));
        yield* q(store.updateTac(t.id, { useCount: 9 }));
        yield* q(store.appendAudit({ ...e, action: 'tac.revoked' }));
        throw new Error('boom');
      }));
      await expect(failing).rejects.toThrow('boom');
      expect((await store.getTac(t.id))!.useCount).toBe(4);
      expect(await store.queryAudit({ userId: u.id, limit: 5 })).toHaveLength(2);
    });

    it('through the core: a one-time code verified by 12 requests at once is accepted exactly once', async () => {
      const core = new TacCore({ store: s(), clock: new FakeClock('2026-01-01T00:00:00.000Z'), hasher: hmacHasher(randomBytes(32)), actor: 'tester' });
      const { username } = fresh();
      await engine.run(core.addUser({ username, email: `${username}@example.com` }));
      const issued = await engine.run(core.issueTac({ user: username, oneTime: true, verifiedBy: 'callback' }));
      const verdicts = await Promise.all(Array.from({ length: 12 }, () => settle(() => engine.run(core.verify(username, issued.code)))));
      expect(verdicts.filter((v) => v.valid)).toHaveLength(1);
      expect(verdicts.filter((v) => !v.valid).map((v) => (v as { reason: string }).reason)).toEqual(Array(11).fill('already_used'));
      const shown = await engine.run(core.showUser(username));
      expect(shown.currentTac).toMatchObject({ id: issued.id, useCount: 1, status: 'used' });
    });

    it('through the core: wrong guesses at once are each counted, up to the lockout', async () => {
      const core = new TacCore({ store: s(), clock: new FakeClock('2026-01-01T00:00:00.000Z'), hasher: hmacHasher(randomBytes(32)), actor: 'tester' });
      const { username } = fresh();
      await engine.run(core.addUser({ username, email: `${username}@example.com` }));
      await engine.run(core.issueTac({ user: username, verifiedBy: 'callback' }));
      const verdicts = await Promise.all(Array.from({ length: 10 }, () => settle(() => engine.run(core.verify(username, '00001111')))));
      const reasons = verdicts.map((v) => (v as { reason: string }).reason);
      expect(reasons.filter((r) => r === 'invalid_code')).toHaveLength(DEFAULT_POLICY.maxFailedAttempts);
      expect(reasons.filter((r) => r === 'locked_out')).toHaveLength(10 - DEFAULT_POLICY.maxFailedAttempts);
      expect(await engine.run(core.showUser(username))).toMatchObject({ failedAttempts: DEFAULT_POLICY.maxFailedAttempts, locked: true });
    });

    it('through the core: purges at once delete and audit each finished TAC once in total', async () => {
      const u = user(fresh());
      const mine = Array.from({ length: 40 }, (_, i) => `tac_${u.id.slice(4)}p${i}`);
      await s().insertMany({ users: [u], tacs: mine.map((id) => tac({ id, userId: u.id })), audit: [] });
      // Years later every TAC of this database has expired past purgeAfterDays (other tests' too: all count).
      const actor = `purger-${u.id}`;
      const core = new TacCore({ store: s(), clock: new FakeClock('2031-01-01T00:00:00.000Z'), hasher: hmacHasher(randomBytes(32)), actor });
      await Promise.all([1, 2, 3, 4, 5, 6].map(() => engine.ping()));
      const results = await Promise.all(Array.from({ length: 6 }, () => settle(() => engine.run(core.purge()))));
      const purged = results.flatMap((r) => r.tacIds);
      expect(new Set(purged).size).toBe(purged.length);
      expect(purged).toEqual(expect.arrayContaining(mine));
      expect(results.map((r) => r.purged)).toEqual(results.map((r) => r.tacIds.length));
      const audited = (await s().queryAudit({ action: 'tac.purged', limit: 100 })).filter((e) => e.actor === actor);
      // One row per purge that deleted something, none for a purge that found its candidates gone.
      expect(audited).toHaveLength(results.filter((r) => r.purged > 0).length);
      expect(audited.reduce((sum, e) => sum + (e.details.count as number), 0)).toBe(purged.length);
      expect(await engine.run(core.purge())).toEqual({ purged: 0, dryRun: false, tacIds: [] });
      expect((await s().queryAudit({ action: 'tac.purged', limit: 100 })).filter((e) => e.actor === actor)).toHaveLength(audited.length);
    });

    it('through the core: one guest batch imported twice at once, and one username added twice at once, as one process would answer', async () => {
      const core = new TacCore({ store: s(), clock: new FakeClock('2026-01-01T00:00:00.000Z'), hasher: hmacHasher(randomBytes(32)), actor: 'tester' });
      const rows = Array.from({ length: 30 }, (_, i) => ({ line: i + 2, input: { email: `${fresh().username}-${i}@example.com` } }));
      await Promise.all([1, 2, 3, 4].map(() => engine.ping()));
      const batches = await Promise.all([1, 2, 3].map(() => settle(() => engine.run(core.importGuestBatch(rows, 'skip')))));
      const results = batches.flat();
      // Each email created by exactly one batch and skipped by the others (never a failed batch).
      expect(results.filter((x) => x.status === 'created').map((x) => (x as { tac: { user: { email: string } } }).tac.user.email).sort())
        .toEqual(rows.map((x) => x.input.email).sort());
      expect(results.filter((x) => x.status === 'skipped')).toHaveLength(rows.length * 2);
      const { username } = fresh();
      const adds = await Promise.allSettled([1, 2, 3].map((i) => settle(() => engine.run(core.addUser({ username, email: `${username}-${i}@example.com` })))));
      expect(adds.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
      for (const a of adds.filter((x): x is PromiseRejectedResult => x.status === 'rejected')) {
        expect(a.reason).toMatchObject({ code: 'conflict', message: expect.stringContaining(`is already used by user ${username}`) });
      }
    });

    it('refuses a database created under another hashing key', async () => {
      const core = (key: Buffer) => new TacCore({ store: s(), clock: new FakeClock('2026-01-01T00:00:00.000Z'), hasher: hmacHasher(key), actor: 't' });
      const key = randomBytes(32);
      await engine.run(core(key).checkKey('the key file'));
      await engine.run(core(key).checkKey('the key file'));
      const other = settle(() => engine.run(core(randomBytes(32)).checkKey('the key file')));
      await expect(other).rejects.toBeInstanceOf(TacError);
      await expect(other).rejects.toMatchObject({ code: 'key_mismatch' });
    });

    it('two processes starting at once with different keys: exactly one key is recorded, the other refused', async () => {
      const fresh = await open();
      try {
        // Connections open beforehand, so both transactions really run at once.
        await Promise.all([1, 2, 3, 4].map(() => fresh.ping()));
        const core = (key: Buffer) => new TacCore({ store: fresh.store, clock: new FakeClock('2026-01-01T00:00:00.000Z'), hasher: hmacHasher(key), actor: 't' });
        const outcomes = await Promise.allSettled([randomBytes(32), randomBytes(32)].map((k) => settle(() => fresh.run(core(k).checkKey('the key file')))));
        expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
        expect((outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'key_mismatch' });
      } finally {
        await fresh.close();
      }
    });
  });
}
