import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/store/sqlite/group-commit.js';
import { openDatabase, SqliteStore } from '../../src/store/sqlite/store.js';

const meta = (store: SqliteStore, key: string) => store.getMeta(key);

describe('SqliteStore.transactionBatch', () => {
  let store: SqliteStore;
  beforeEach(() => {
    store = new SqliteStore(openDatabase(':memory:'));
  });
  afterEach(() => store.close());

  it('runs every function in order in one transaction; a failing one rolls back only its own work', () => {
    const seen: string[] = [];
    const out = store.transactionBatch([
      () => { store.setMeta('a', '1'); seen.push('a'); return 'A'; },
      () => { store.setMeta('b', '1'); seen.push('b'); throw new Error('b failed'); },
      // Sees the state the earlier functions left, as if they had run one after another.
      () => { seen.push(`c saw a=${meta(store, 'a')} b=${meta(store, 'b')}`); store.setMeta('c', '1'); return 'C'; },
    ]);
    // First all together (b throws, that transaction is rolled back), then each in a savepoint.
    expect(seen).toEqual(['a', 'b', 'a', 'b', 'c saw a=1 b=undefined']);
    expect(out[0]).toEqual({ ok: true, value: 'A' });
    expect(out[1]).toMatchObject({ ok: false, error: new Error('b failed') });
    expect(out[2]).toEqual({ ok: true, value: 'C' });
    expect([meta(store, 'a'), meta(store, 'b'), meta(store, 'c')]).toEqual(['1', undefined, '1']);
    expect(store.db.inTransaction).toBe(false);
  });

  it('when no function throws, each runs exactly once', () => {
    let runs = 0;
    const out = store.transactionBatch([1, 2, 3].map((n) => () => {
      runs++;
      store.setMeta(`k${n}`, String(n));
      return n;
    }));
    expect(runs).toBe(3);
    expect(out).toEqual([1, 2, 3].map((value) => ({ ok: true, value })));
    expect([meta(store, 'k1'), meta(store, 'k3')]).toEqual(['1', '3']);
  });

  it('a nested store.transaction inside a batched function stays inside its savepoint', () => {
    const out = store.transactionBatch([
      () => store.transaction(function* () { store.setMeta('x', '1'); }),
      () => store.transaction(function* () { store.setMeta('y', '1'); throw new Error('no'); }),
    ]);
    expect(out.map((o) => o.ok)).toEqual([true, false]);
    expect([meta(store, 'x'), meta(store, 'y')]).toEqual(['1', undefined]);
  });

  it('when SQLite rolls back the whole transaction, the culprit fails and the others run again', () => {
    let runsOfA = 0;
    const out = store.transactionBatch([
      () => { runsOfA++; store.setMeta('a', String(runsOfA)); return 'A'; },
      // Stands in for SQLITE_FULL/SQLITE_IOERR, after which SQLite has rolled back the transaction.
      () => { store.db.exec('ROLLBACK'); throw new Error('disk full'); },
      () => { store.setMeta('c', '1'); return 'C'; },
    ]);
    expect(out[0]).toEqual({ ok: true, value: 'A' });
    expect(out[1]).toMatchObject({ ok: false, error: new Error('disk full') });
    expect(out[2]).toEqual({ ok: true, value: 'C' });
    // Without savepoints, then with them (lost with the culprit), then again without the culprit.
    expect(runsOfA).toBe(3);
    expect([meta(store, 'a'), meta(store, 'c')]).toEqual(['3', '1']);
  });

  it('when COMMIT fails, no function is reported as done', () => {
    // A deferred foreign-key violation is only detected at COMMIT.
    store.db.exec('PRAGMA defer_foreign_keys = ON');
    const out = store.transactionBatch([
      () => { store.setMeta('a', '1'); return 'A'; },
      () => store.db.prepare("INSERT INTO tacs (id, user_id, code_hash, case_sensitive, created_at, starts_at, expires_at, one_time, created_by) VALUES ('t', 'no-such-user', 'h', 0, 'x', 'x', 'x', 1, 'x')").run(),
    ]);
    expect(out.every((o) => !o.ok)).toBe(true);
    expect(String((out[0] as { error: unknown }).error)).toMatch(/FOREIGN KEY/);
    expect(meta(store, 'a')).toBeUndefined();
    expect(store.db.inTransaction).toBe(false);
  });
});

describe('GroupCommit', () => {
  let store: SqliteStore;
  let commits: number;
  beforeEach(() => {
    store = new SqliteStore(openDatabase(':memory:'));
    commits = 0;
    const batch = store.transactionBatch.bind(store);
    store.transactionBatch = (fns) => {
      commits++;
      return batch(fns);
    };
  });
  afterEach(() => store.close());

  it('runs writes that arrive together in one transaction and settles each with its own outcome', async () => {
    const group = new GroupCommit(store);
    const results = await Promise.allSettled([
      group.run(() => { store.setMeta('a', '1'); return 1; }),
      group.run(() => { store.setMeta('b', '1'); throw new Error('b failed'); }),
      group.run(() => { store.setMeta('c', '1'); return 3; }),
    ]);
    expect(commits).toBe(1);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([1, 'b failed', 3]);
    expect([meta(store, 'a'), meta(store, 'b'), meta(store, 'c')]).toEqual(['1', undefined, '1']);
  });

  it('settles only after the commit: nothing is resolved while the transaction is open', async () => {
    const group = new GroupCommit(store);
    let inTransactionWhenResolved: boolean | undefined;
    const p = group.run(() => store.setMeta('a', '1')).then(() => {
      inTransactionWhenResolved = store.db.inTransaction;
    });
    const q = group.run(() => store.setMeta('b', '1'));
    await Promise.all([p, q]);
    expect(inTransactionWhenResolved).toBe(false);
  });

  it('a lone write runs in a plain transaction; a failing one rolls back', async () => {
    const group = new GroupCommit(store);
    await expect(group.run(() => { store.setMeta('a', '1'); throw new Error('no'); })).rejects.toThrow('no');
    expect(meta(store, 'a')).toBeUndefined();
    expect(await group.run(() => 7)).toBe(7);
    expect(commits).toBe(0);
  });

  it('splits a large queue into batches of at most maxBatch', async () => {
    const group = new GroupCommit(store, 4);
    const all = await Promise.all(Array.from({ length: 10 }, (_, i) => group.run(() => i)));
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // 4 + 4 in batches, the last 2 as a batch too.
    expect(commits).toBe(3);
  });
});
