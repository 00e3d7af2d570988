import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointInBackground } from '../../src/store/sqlite/checkpointer.js';
import { openDatabase, SqliteStore } from '../../src/store/sqlite/store.js';

describe('checkpointInBackground (tac serve)', () => {
  let dir: string;
  let dbPath: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tac-ckpt-'));
    dbPath = join(dir, 'tac.db');
    store = new SqliteStore(openDatabase(dbPath));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies commits into the database file from another thread; the server connection checkpoints only past 4,000 pages', async () => {
    const errors: Error[] = [];
    const bg = checkpointInBackground(store, dbPath, (e) => errors.push(e));
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(4000);
    const marker = `checkpointed-${Date.now()}`;
    store.atomic(() => store.setMeta('marker', marker));
    // Only a checkpoint puts the row into the main file (it is in the WAL until then).
    const inMainFile = () => readFileSync(dbPath).includes(marker);
    expect(inMainFile()).toBe(false);
    const deadline = Date.now() + 5000;
    while (!inMainFile() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(inMainFile()).toBe(true);
    await bg.stop();
    await bg.stop(); // idempotent
    expect(errors).toEqual([]);
  });

  it('reports a worker that cannot run and leaves checkpoints to the server connection', async () => {
    const errors: Error[] = [];
    const bg = checkpointInBackground(store, join(dir, 'missing.db'), (e) => errors.push(e));
    const deadline = Date.now() + 5000;
    while (!errors.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(errors[0]?.message).toMatch(/SQLITE_CANTOPEN|unable to open/);
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await bg.stop();
  });
});
