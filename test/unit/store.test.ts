import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { hmacHasher } from '../../src/core/codes.js';
import { TacError } from '../../src/core/errors.js';
import { DEFAULT_POLICY, mergePolicy } from '../../src/core/policy.js';
import { TacService } from '../../src/core/service.js';
import type { NewAuditEvent, TacRecord, User } from '../../src/core/types.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openDatabase, SqliteStore } from '../../src/store/sqlite/store.js';
import { catchTacError } from './helpers.js';

const user = (over: Partial<User> = {}): User => ({
  id: 'usr_aaaaaaaaaaaaaaaa', username: 'alice', email: 'alice@example.com', phone: '+15551234567', name: 'Alice', guest: false,
  disabled: false, failedAttempts: 0, consecutiveFailures: 0, lockedUntil: null, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

const tac = (over: Partial<TacRecord> = {}): TacRecord => ({
  id: 'tac_aaaaaaaaaaaaaaaa', userId: 'usr_aaaaaaaaaaaaaaaa', codeHash: 'ab'.repeat(32), caseSensitive: false,
  createdAt: '2026-01-01T00:00:00.000Z', startsAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T01:00:00.000Z', oneTime: true,
  useCount: 0, lastUsedAt: null, revokedAt: null, revokedReason: null, reason: null, createdBy: 'tester',
  ...over,
});

const event = (over: Partial<NewAuditEvent> = {}): NewAuditEvent => ({
  at: '2026-01-01T00:00:00.000Z', actor: 'tester', action: 'user.created', userId: null, tacId: null, outcome: 'success', reason: null,
  details: {}, ...over,
});

describe('SqliteStore', () => {
  let store: SqliteStore;
  beforeEach(() => {
    store = new SqliteStore(openDatabase(':memory:'));
  });

  it('migrates a new database', () => {
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const tables = (store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['audit', 'meta', 'policy', 'tacs', 'users']));
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('round-trips users with booleans and nulls, and patches them', () => {
    const u = user({ guest: true, disabled: true, phone: null, name: null });
    store.insertUser(u);
    expect(store.getUser(u.id)).toEqual(u);
    store.updateUser(u.id, { disabled: false, failedAttempts: 2, lockedUntil: '2026-01-01T00:15:00.000Z' });
    expect(store.getUser(u.id)).toEqual({ ...u, disabled: false, failedAttempts: 2, lockedUntil: '2026-01-01T00:15:00.000Z' });
    store.updateUser(u.id, {});
    expect(store.getUser('usr_missingmissingmi')).toBeUndefined();
    store.deleteUser(u.id);
    expect(store.getUser(u.id)).toBeUndefined();
  });

  it('finds users case-insensitively by username and email, exactly by phone', () => {
    store.insertUser(user());
    expect(store.findUser('username', 'ALICE')?.id).toBe('usr_aaaaaaaaaaaaaaaa');
    expect(store.findUser('email', 'Alice@Example.COM')?.id).toBe('usr_aaaaaaaaaaaaaaaa');
    expect(store.findUser('phone', '+15551234567')?.id).toBe('usr_aaaaaaaaaaaaaaaa');
    expect(store.findUser('phone', '15551234567')).toBeUndefined();
    expect(store.findUser('username', 'alic')).toBeUndefined();
  });

  it('enforces unique usernames, emails and phones', () => {
    store.insertUser(user());
    expect(() => store.insertUser(user({ id: 'usr_bbbbbbbbbbbbbbbb', username: 'ALICE', email: 'b@example.com', phone: null }))).toThrow();
    expect(() => store.insertUser(user({ id: 'usr_bbbbbbbbbbbbbbbb', username: 'bob', email: 'ALICE@example.com', phone: null }))).toThrow();
    expect(() => store.insertUser(user({ id: 'usr_bbbbbbbbbbbbbbbb', username: 'bob', email: 'b@example.com' }))).toThrow();
    store.insertUser(user({ id: 'usr_bbbbbbbbbbbbbbbb', username: 'bob', email: 'b@example.com', phone: null }));
    store.insertUser(user({ id: 'usr_cccccccccccccccc', username: 'carol', email: 'c@example.com', phone: null }));
  });

  it('round-trips TACs, iterates newest first, and cascades on user delete', () => {
    store.insertUser(user());
    store.insertUser(user({ id: 'usr_bbbbbbbbbbbbbbbb', username: 'bob', email: 'b@example.com', phone: null }));
    const t1 = tac({ caseSensitive: true, reason: 'r' });
    const t2 = tac({ id: 'tac_bbbbbbbbbbbbbbbb', userId: 'usr_bbbbbbbbbbbbbbbb', oneTime: false });
    const t3 = tac({ id: 'tac_cccccccccccccccc' });
    store.insertTac(t1);
    store.insertTac(t2);
    store.insertTac(t3);
    expect(store.getTac(t1.id)).toEqual(t1);
    expect(store.getTac(t2.id)).toEqual(t2);
    expect([...store.iterateTacs({})].map((t) => t.id)).toEqual([t3.id, t2.id, t1.id]);
    expect([...store.iterateTacs({ userId: t1.userId })].map((t) => t.id)).toEqual([t3.id, t1.id]);
    store.updateTac(t1.id, { useCount: 1, lastUsedAt: '2026-01-01T00:05:00.000Z', revokedReason: 'deleted' });
    expect(store.getTac(t1.id)).toMatchObject({ useCount: 1, lastUsedAt: '2026-01-01T00:05:00.000Z', revokedReason: 'deleted', caseSensitive: true });
    // a TAC must belong to a user
    expect(() => store.insertTac(tac({ id: 'tac_dddddddddddddddd', userId: 'usr_nobodynobodynob' }))).toThrow();
    store.deleteUser(t1.userId);
    expect([...store.iterateTacs({})].map((t) => t.id)).toEqual([t2.id]);
    store.deleteTacs([t2.id]);
    expect([...store.iterateTacs({})]).toEqual([]);
  });

  it('lists purge candidates finished before the cutoff', () => {
    store.insertUser(user());
    store.insertTac(tac({ id: 'tac_expired', expiresAt: '2026-01-01T01:00:00.000Z' }));
    store.insertTac(tac({ id: 'tac_revoked', expiresAt: '2026-02-01T00:00:00.000Z', revokedAt: '2026-01-01T00:10:00.000Z', revokedReason: 'deleted' }));
    store.insertTac(tac({ id: 'tac_used', expiresAt: '2026-02-01T00:00:00.000Z', useCount: 1, lastUsedAt: '2026-01-01T00:10:00.000Z' }));
    store.insertTac(tac({ id: 'tac_multi', expiresAt: '2026-02-01T00:00:00.000Z', oneTime: false, useCount: 4, lastUsedAt: '2026-01-01T00:10:00.000Z' }));
    store.insertTac(tac({ id: 'tac_live', expiresAt: '2026-02-01T00:00:00.000Z' }));
    expect(store.purgeCandidates('2026-01-01T00:09:00.000Z').map((t) => t.id)).toEqual([]);
    expect(store.purgeCandidates('2026-01-01T02:00:00.000Z').map((t) => t.id).sort()).toEqual(['tac_expired', 'tac_revoked', 'tac_used']);
  });

  it('stores meta and the policy', () => {
    expect(store.getMeta('k')).toBeUndefined();
    store.setMeta('k', 'v1');
    store.setMeta('k', 'v2');
    expect(store.getMeta('k')).toBe('v2');
    expect(store.getPolicy()).toBeUndefined();
    const p = mergePolicy(DEFAULT_POLICY, { maxTtl: 600, complexity: { specialCharacters: true } });
    store.savePolicy(p);
    expect(store.getPolicy()).toEqual(p);
    store.savePolicy(DEFAULT_POLICY);
    expect(store.getPolicy()).toEqual(DEFAULT_POLICY);
  });

  it('appends and queries audit events', () => {
    const added = [
      event({ details: { a: 1, nested: { b: [1, 2] } } }),
      event({ at: '2026-01-01T00:10:00.000Z', action: 'tac.generated', userId: 'usr_x', tacId: 'tac_x' }),
      event({ at: '2026-01-01T00:20:00.000Z', action: 'tac.verify_failed', userId: 'usr_y', outcome: 'failure', reason: 'invalid_code' }),
    ];
    for (const e of added) store.appendAudit(e);
    const [e3, e2, e1] = store.queryAudit({ limit: 10 });
    expect(e2!.id).toBeGreaterThan(e1!.id);
    expect(e3!.id).toBeGreaterThan(e2!.id);
    expect([e1, e2, e3]).toEqual(added.map((e, i) => ({ ...e, id: [e1, e2, e3][i]!.id })));
    expect(store.queryAudit({ limit: 1 })).toEqual([e3]);
    expect(store.queryAudit({ limit: 10, userId: 'usr_x' })).toEqual([e2]);
    expect(store.queryAudit({ limit: 10, action: 'tac.verify_failed' })).toEqual([e3]);
    expect(store.queryAudit({ limit: 10, since: '2026-01-01T00:10:00.000Z' })).toEqual([e3, e2]);
  });

  it('rolls a transaction back when it throws, and nests', () => {
    expect(() => store.transaction(function* () {
      store.insertUser(user());
      store.transaction(function* () { store.setMeta('inner', 'x'); });
      throw new Error('boom');
    })).toThrow('boom');
    expect(store.getUser('usr_aaaaaaaaaaaaaaaa')).toBeUndefined();
    expect(store.getMeta('inner')).toBeUndefined();
    expect(store.transaction(function* () { return 42; })).toBe(42);
  });
});

describe('database file and key check', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tac-store-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the database file with mode 0600 (and its directory), in WAL mode, and reopens it', () => {
    const path = join(dir, 'nested', 'data', 'tac.db');
    const store = new SqliteStore(openDatabase(path));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'nested', 'data')).isDirectory()).toBe(true);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    store.setMeta('hello', 'world');
    if (existsSync(`${path}-wal`)) expect(statSync(`${path}-wal`).mode & 0o077).toBe(0);
    store.close();
    const again = new SqliteStore(openDatabase(path));
    expect(again.getMeta('hello')).toBe('world');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    again.close();
  });

  // Linux lists a process's open files, SQLite's unlinked temp files ("etilqs_…") among them.
  it.runIf(process.platform === 'linux')('a multi-row import batch keeps its statement journal in memory, not in a temp file', () => {
    const store = new SqliteStore(openDatabase(join(dir, 'tac.db')));
    const batch = (from: number) => {
      const users = Array.from({ length: 500 }, (_, i) => user({
        id: `usr_${String(from + i).padStart(16, '0')}`, username: `guest${from + i}`, email: `guest${from + i}@example.com`, phone: null,
      }));
      return { users, tacs: users.map((u) => tac({ id: `tac_${u.id.slice(4)}`, userId: u.id })), audit: users.map((u) => event({ userId: u.id })) };
    };
    const tempFiles = () => readdirSync('/proc/self/fd').map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    }).filter((target) => target.includes('etilqs'));
    // Later batches change pages earlier ones committed: those are what a statement journal holds,
    // and by the fourth it is past SQLite's 64 KiB spill threshold.
    const during: string[] = [];
    for (let b = 0; b < 5; b++) {
      store.atomic(() => {
        store.insertMany(batch(b * 500));
        during.push(...tempFiles());
      });
    }
    expect(during).toEqual([]);
    store.close();
  });

  it('refuses a database from a newer tac', () => {
    const path = join(dir, 'tac.db');
    openDatabase(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    const err = catchTacError(() => openDatabase(path), 'internal');
    expect(err.message).toMatch(/newer/);
  });

  it('checkKey records the key fingerprint and refuses a database opened with a different key', () => {
    const path = join(dir, 'tac.db');
    const key1 = randomBytes(32);
    const service = (key: Buffer, store: SqliteStore) => new TacService({ store, clock: new FakeClock(), hasher: hmacHasher(key), actor: 't' });

    const s1 = new SqliteStore(openDatabase(path));
    const svc1 = service(key1, s1);
    svc1.checkKey('/keys/hmac.key');
    expect(s1.getMeta('key_fingerprint')).toBe(hmacHasher(key1).fingerprint());
    svc1.addUser({ username: 'alice', email: 'alice@example.com' });
    const { code } = svc1.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    s1.close();

    const s2 = new SqliteStore(openDatabase(path));
    expect(() => service(Buffer.from(key1), s2).checkKey('/keys/hmac.key')).not.toThrow();
    const err = catchTacError(() => service(randomBytes(32), s2).checkKey('/keys/other.key'), 'key_mismatch');
    expect(err).toBeInstanceOf(TacError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain('/keys/other.key');
    // the mismatch changed nothing: the right key still verifies the stored code
    expect(s2.getMeta('key_fingerprint')).toBe(hmacHasher(key1).fingerprint());
    expect(service(key1, s2).verify('alice', code).valid).toBe(true);
    s2.close();
  });
});
