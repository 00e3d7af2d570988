import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openDatabase, SqliteStore } from '../../src/store/sqlite/store.js';

const indexesOf = (db: Database.Database, table: string) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name").all(table) as { name: string }[]).map((r) => r.name);

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A new database file at schema `version`, as a tac of that version left it: its path and an open connection. */
function databaseAt(version: number): { path: string; raw: Database.Database } {
  dir = mkdtempSync(join(tmpdir(), 'tac-mig-'));
  const path = join(dir, 'tac.db');
  const raw = new Database(path);
  for (const m of MIGRATIONS.slice(0, version)) typeof m === 'string' ? raw.exec(m) : m(raw, {});
  raw.pragma(`user_version = ${version}`);
  return { path, raw };
}

describe('migration 4: the audit indexes no query uses are dropped', () => {
  it('a version 3 database keeps its events and loses audit_action and audit_at (and, by migration 7, audit_user)', () => {
    const { path, raw } = databaseAt(3);
    raw.prepare("INSERT INTO audit (at, actor, action, user_id, outcome, details) VALUES ('2026-01-01T00:00:00.000Z', 't', 'user.created', 'usr_x', 'success', '{}')").run();
    expect(indexesOf(raw, 'audit')).toEqual(['audit_action', 'audit_at', 'audit_user']);
    raw.close();

    const store = new SqliteStore(openDatabase(path));
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(indexesOf(store.db, 'audit')).toEqual([]);
    expect(store.queryAudit({ action: 'user.created', since: '2025-12-31T00:00:00.000Z', limit: 10 }).map((e) => e.userId)).toEqual(['usr_x']);
    store.close();
  });
});

describe('migration 7: audit_user, which no query uses, is dropped', () => {
  it('the audit query scans the log newest first with or without a user, so no audit index serves it', () => {
    const { path, raw } = databaseAt(6);
    const event = raw.prepare("INSERT INTO audit (at, actor, action, user_id, outcome, details) VALUES ('2026-01-01T00:00:00.000Z', 't', 'user.created', ?, 'success', '{}')");
    for (const u of ['usr_a', 'usr_b', 'usr_a']) event.run(u);
    expect(indexesOf(raw, 'audit')).toEqual(['audit_user']);
    raw.close();

    const store = new SqliteStore(openDatabase(path));
    expect(indexesOf(store.db, 'audit')).toEqual([]);
    expect(store.queryAudit({ userId: 'usr_a', limit: 10 }).map((e) => [e.id, e.userId])).toEqual([[3, 'usr_a'], [1, 'usr_a']]);
    // The query the store runs (sqlite/store.ts queryAudit): a scan, newest first, even had the index stayed.
    const plan = (userId: string | null) => (store.db.prepare(
      `EXPLAIN QUERY PLAN SELECT * FROM audit
       WHERE (@userId IS NULL OR user_id = @userId) AND (@action IS NULL OR action = @action) AND (@since IS NULL OR at >= @since)
       ORDER BY id DESC LIMIT @limit`,
    ).all({ userId, action: null, since: null, limit: 10 }) as { detail: string }[]).map((r) => r.detail);
    store.db.exec('CREATE INDEX audit_user ON audit (user_id)');
    expect(plan('usr_a')).toEqual(['SCAN audit']);
    expect(plan(null)).toEqual(['SCAN audit']);
    store.close();
  });
});

describe('migration 6: phone numbers become canonical (E.164)', () => {
  /** A version 5 database with these users' phones, as an older tac stored them (as typed). */
  function version5(phones: (string | null)[]): string {
    const { path, raw } = databaseAt(5);
    const insert = raw.prepare("INSERT INTO users (id, username, email, phone, created_at, updated_at) VALUES (?, ?, ?, ?, 't', 't')");
    phones.forEach((p, i) => insert.run(`usr_${'a'.repeat(15)}${'abcdefgh'[i]}`, `u${i}`, `u${i}@example.com`, p));
    raw.close();
    return path;
  }
  const phonesIn = (path: string) => (new Database(path).prepare('SELECT phone FROM users ORDER BY id').all() as { phone: string | null }[]).map((r) => r.phone);
  const versionOf = (path: string) => new Database(path).pragma('user_version', { simple: true });

  it('rewrites numbers with a country code; without TAC_PHONE_REGION the policy gets no region', () => {
    const path = version5(['+1 (555) 123-4567', '+442079460958', null]);
    const store = new SqliteStore(openDatabase(path, {}));
    expect(phonesIn(path)).toEqual(['+15551234567', '+442079460958', null]);
    expect(store.getPolicy()).toBeUndefined();
    store.close();
  });

  it('numbers without a country code are read in TAC_PHONE_REGION, which becomes the policy phoneRegion', () => {
    const path = version5(['15551234567', '555-123-9999', '+442079460958']);
    const store = new SqliteStore(openDatabase(path, { phoneRegion: 'us' }));
    expect(phonesIn(path)).toEqual(['+15551234567', '+15551239999', '+442079460958']);
    expect(store.getPolicy()).toEqual({ phoneRegion: 'US' });
    store.close();
  });

  it('refuses, naming the rows and TAC_PHONE_REGION, when numbers have no country code and no region is given; nothing changes', () => {
    const path = version5(['+15551234567', '5551239999']);
    let err: Error | undefined;
    try {
      openDatabase(path, {});
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(/^cannot upgrade the database to canonical phone numbers \(nothing was changed\): 1 cannot be read: usr_a+b \(u1\) "5551239999" has no country code; .*TAC_PHONE_REGION=US/);
    expect(versionOf(path)).toBe(5);
    expect(phonesIn(path)).toEqual(['+15551234567', '5551239999']);
  });

  it('refuses, naming both rows, when two users hold one number in two forms', () => {
    const path = version5(['15551234567', '+1 555 123 4567', '+442079460958']);
    expect(() => openDatabase(path, { phoneRegion: 'US' }))
      .toThrow(/1 number\(s\) belong to two users: \+15551234567: usr_a+a \(u0\) "15551234567" and usr_a+b \(u1\) "\+1 555 123 4567"/);
    expect(versionOf(path)).toBe(5);
    expect(phonesIn(path)).toEqual(['15551234567', '+1 555 123 4567', '+442079460958']);
  });

  it('refuses an unknown TAC_PHONE_REGION with one line', () => {
    const path = version5(['5551234567']);
    expect(() => openDatabase(path, { phoneRegion: 'XX' })).toThrow(/^TAC_PHONE_REGION: "XX" is not a region/);
  });
});
