import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_POLICY, type Policy } from '../../src/core/policy.js';
import { PolicyCache } from '../../src/store/sqlite/policy-cache.js';
import { openDatabase, SqliteStore } from '../../src/store/sqlite/store.js';
import { runTac } from '../e2e/helpers/process.js';
import { bearer, describeEngines, makeServer, tempDb, type ServerHarness } from './helpers.js';

/**
 * The policy a verify applies is never older than the last commit, whoever made it: SQLite keeps
 * it parsed (src/store/sqlite/policy-cache.ts) while PRAGMA data_version says no other connection
 * committed and this one has not written it; PostgreSQL reads it in every verify (replicas share
 * no memory, so a cache there could be stale).
 */
describeEngines('a policy change applies to the next verify', (engine) => {
  let h: ServerHarness;
  let app: string;
  let admin: string;
  let code: string;
  beforeAll(async () => {
    h = await makeServer({ engine });
    admin = await h.tokenFor('admin');
    app = await h.tokenFor('app');
    const desk = await h.tokenFor('helpdesk');
    await h.app.inject({ method: 'PATCH', url: '/v1/policy', headers: bearer(admin), payload: { multiUseAllowed: true } });
    await h.app.inject({ method: 'POST', url: '/v1/users', headers: bearer(admin), payload: { username: 'pat', email: 'pat@example.com' } });
    const issued = await h.app.inject({ method: 'POST', url: '/v1/tacs', headers: bearer(desk), payload: { user: 'pat', verifiedBy: 'callback', oneTime: false } });
    code = issued.json().code;
  }, 60_000);
  afterAll(() => h.close());

  const verify = async (c = code) => (await h.app.inject({ method: 'POST', url: '/v1/tacs/verify', headers: bearer(app), payload: { user: 'pat', code: c } })).json();
  /** `tac policy set ARGS --db` in another process, on the server's database. */
  async function policySetElsewhere(...args: string[]) {
    const home = join(h.dir, 'cli-home');
    mkdirSync(home, { recursive: true });
    const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data'), XDG_CACHE_HOME: join(home, 'cache'), TAC_KEY_FILE: h.keyPath };
    const r = await runTac(['policy', 'set', ...args, '--db', h.dbPath], env, { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
  }

  it('changed by `tac policy set --db` in another process between two verifies', async () => {
    expect(await verify()).toMatchObject({ valid: true });
    expect(await verify()).toMatchObject({ valid: true });
    await policySetElsewhere('--disable');
    expect(await verify()).toEqual({ valid: false, reason: 'tacs_disabled' });
    await policySetElsewhere('--enable', '--max-failed-attempts', '1');
    expect(await verify()).toMatchObject({ valid: true });
    // The lockout threshold another process set: one wrong code locks at once.
    expect(await verify('WRONG234')).toEqual({ valid: false, reason: 'invalid_code' });
    expect(await verify()).toMatchObject({ valid: false, reason: 'locked_out' });
    await h.app.inject({ method: 'POST', url: '/v1/users/pat/unlock', headers: bearer(admin) });
    expect(await verify()).toMatchObject({ valid: true });
  }, 120_000);

  it('changed on this server: the next verify applies it', async () => {
    expect(await verify()).toMatchObject({ valid: true });
    await h.app.inject({ method: 'PATCH', url: '/v1/policy', headers: bearer(admin), payload: { enabled: false } });
    expect(await verify()).toEqual({ valid: false, reason: 'tacs_disabled' });
    await h.app.inject({ method: 'POST', url: '/v1/policy/reset', headers: bearer(admin) });
    // Reset: multi-use codes are no longer allowed to be issued, but this one is still valid.
    expect((await h.app.inject({ method: 'GET', url: '/v1/policy', headers: bearer(admin) })).json()).toMatchObject({ enabled: true, maxFailedAttempts: DEFAULT_POLICY.maxFailedAttempts });
    expect(await verify()).toMatchObject({ valid: true });
  });
});

describe('SQLite keeps the policy parsed, never past a change', () => {
  let store: SqliteStore;
  let other: Database.Database;
  let dbPath: string;
  beforeAll(() => {
    ({ dbPath } = tempDb());
    store = new SqliteStore(openDatabase(dbPath));
    other = new Database(dbPath);
  });
  afterAll(() => {
    other.close();
    store.close();
  });
  const stored = (): Policy => JSON.parse((other.prepare('SELECT json FROM policy').get() as { json: string }).json);
  const otherSets = (p: Partial<Policy>) => other.prepare('INSERT INTO policy (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json')
    .run(JSON.stringify({ ...DEFAULT_POLICY, ...p }));

  it('reads the table once while nothing changes, and again after another connection commits', () => {
    otherSets({ length: 10 });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      expect(store.getPolicy()?.length).toBe(10);
      expect(store.getPolicy()?.length).toBe(10);
      expect(store.atomic(() => store.getPolicy()?.length)).toBe(10);
      expect(parse).toHaveBeenCalledTimes(1);
      otherSets({ length: 11 });
      expect(store.getPolicy()?.length).toBe(11);
      expect(parse).toHaveBeenCalledTimes(2);
    } finally {
      parse.mockRestore();
    }
    expect(Object.isFrozen(store.getPolicy()) && Object.isFrozen(store.getPolicy()!.complexity)).toBe(true);
  });

  it('its own change applies at once; a rolled-back one is never served', () => {
    store.atomic(() => store.savePolicy({ ...DEFAULT_POLICY, length: 12 }));
    expect(store.getPolicy()?.length).toBe(12);
    expect(() => store.atomic(() => {
      store.savePolicy({ ...DEFAULT_POLICY, length: 13 });
      expect(store.getPolicy()?.length).toBe(13);
      throw new Error('roll back');
    })).toThrow('roll back');
    expect(stored().length).toBe(12);
    expect(store.getPolicy()?.length).toBe(12);
    // In a group commit: one function changes the policy and another throws, so the batch runs
    // again with savepoints and that change is rolled back with its function.
    const outcomes = store.transactionBatch([
      () => store.getPolicy()?.length,
      () => {
        store.savePolicy({ ...DEFAULT_POLICY, length: 14 });
        store.getPolicy();
        throw new Error('this one fails');
      },
      () => store.getPolicy()?.length,
    ]);
    expect(outcomes.map((o) => (o.ok ? o.value : 'failed'))).toEqual([12, 'failed', 12]);
    expect(store.getPolicy()?.length).toBe(12);
    expect(stored().length).toBe(12);
  });

  it('nothing is kept while a change of its own is not yet over, whatever the transaction', () => {
    let version = 1;
    let reads = 0;
    const cache = new PolicyCache(() => version);
    const read = () => ({ ...DEFAULT_POLICY, length: 6 + reads++ });
    expect(cache.get(read)?.length).toBe(6);
    expect(cache.get(read)?.length).toBe(6);
    cache.unsettle();
    expect(cache.get(read)?.length).toBe(7);
    expect(cache.get(read)?.length).toBe(8);
    cache.settled();
    expect(cache.get(read)?.length).toBe(9);
    expect(cache.get(read)?.length).toBe(9);
    version = 2;
    expect(cache.get(read)?.length).toBe(10);
  });
});
