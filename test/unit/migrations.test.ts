import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openDatabase, SqliteStore } from '../../src/store/sqlite-store.js';

const indexesOf = (db: Database.Database, table: string) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name").all(table) as { name: string }[]).map((r) => r.name);

describe('migration 4: the audit indexes no query uses are dropped', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a version 3 database keeps its events, loses audit_action and audit_at, keeps audit_user', () => {
    dir = mkdtempSync(join(tmpdir(), 'tac-mig-'));
    const path = join(dir, 'tac.db');
    const raw = new Database(path);
    for (const m of MIGRATIONS.slice(0, 3)) raw.exec(m);
    raw.pragma('user_version = 3');
    raw.prepare("INSERT INTO audit (at, actor, action, user_id, outcome, details) VALUES ('2026-01-01T00:00:00.000Z', 't', 'user.created', 'usr_x', 'success', '{}')").run();
    expect(indexesOf(raw, 'audit')).toEqual(['audit_action', 'audit_at', 'audit_user']);
    raw.close();

    const store = new SqliteStore(openDatabase(path));
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(indexesOf(store.db, 'audit')).toEqual(['audit_user']);
    expect(store.queryAudit({ action: 'user.created', since: '2025-12-31T00:00:00.000Z', limit: 10 }).map((e) => e.userId)).toEqual(['usr_x']);
    store.close();
  });
});
