import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TacError } from '../../core/errors.js';
import { runSync, type Flow } from '../../core/flow.js';
import type { Policy } from '../../core/policy.js';
import type { Store } from '../../core/store.js';
import type { AuditEvent, AuditQuery, NewAuditEvent, TacRecord, User } from '../../core/types.js';
import type { MigrationContext } from '../migrate-phones.js';
import { AUDIT_COLUMNS, BOOLEAN_KEYS, columnPlan, fromRow, TAC_COLUMNS, USER_COLUMNS, type Row } from '../columns.js';
import { MIGRATIONS, newerSchema } from '../migrations.js';
import { sqliteAddonPath } from './addon.js';
import { PolicyCache } from './policy-cache.js';


/** How one function of a group commit ended (see SqliteStore.transactionBatch). */
export type BatchOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Thrown out of a batch whose transaction SQLite already rolled back, to start it again. */
class BatchLost extends Error {}

/** Waiting this long for a writer lock means concurrent CLIs and a server never see SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 15_000;
/** WAL pages between automatic checkpoints during bulk writes (the default is 1,000 pages of 4 KiB). */
const BULK_CHECKPOINT_PAGES = 10_000;

/** findUser's statements: usernames and emails compare case-insensitively (as their unique indexes do). */
const FIND_USER = {
  username: 'SELECT * FROM users WHERE username = ? COLLATE NOCASE',
  email: 'SELECT * FROM users WHERE email = ? COLLATE NOCASE',
  phone: 'SELECT * FROM users WHERE phone = ?',
} as const;

/** Rows per multi-row INSERT: 64 × 14 columns stays far below SQLite's limit of bound parameters. */
const ROWS_PER_INSERT = 64;

/**
 * Opens (creating with mode 0600 and migrating on first use) the SQLite database at `path`.
 * `migration`: what code migrations read (TAC_PHONE_REGION by default, see migrate-phones.ts).
 */
export function openDatabase(path: string, migration: MigrationContext = { phoneRegion: process.env.TAC_PHONE_REGION }): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Create the file ourselves so it is 0600 from the first byte; SQLite gives -wal and -shm the same mode.
      closeSync(openSync(path, 'a', 0o600));
    }
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS, nativeBinding: sqliteAddonPath() });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // A multi-row INSERT (imports) inside a transaction keeps a statement journal, to undo just that
    // statement if a row fails: the pages it changes, ~300 per 500-guest batch. Past 64 KiB SQLite
    // spills it to a temp file, which cost a 100,000-row import 250 MB of writes (107,000 write
    // calls); in memory it is a bounded copy, freed at each commit. Nothing else here needs temp
    // storage but small sorts (agents by creation time, a LIMIT's top rows).
    db.pragma('temp_store = MEMORY');
    migrate(db, migration);
  } catch (e) {
    db?.close();
    if (e instanceof TacError) throw e;
    throw new TacError('internal', `cannot open database ${path}: ${(e as Error).message}`, { cause: e });
  }
  return db;
}

function migrate(db: Database.Database, ctx: MigrationContext): void {
  // Up to date: nothing to do. A newer schema falls through to the check below and is refused.
  if ((db.pragma('user_version', { simple: true }) as number) === MIGRATIONS.length) return;
  db.transaction(() => {
    // Re-read inside the write lock: another process may have migrated meanwhile.
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new TacError('internal', newerSchema(version, MIGRATIONS.length));
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      const m = MIGRATIONS[v]!;
      if (typeof m === 'string') db.exec(m);
      else m(db, ctx);
    }
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

/** Puts `row`'s values for `keys` into `params` from index `at`, booleans as 0/1 (SQLite has none). */
function bindValues(params: unknown[], at: number, row: Row, keys: readonly string[], bool: readonly boolean[]): void {
  for (let j = 0; j < keys.length; j++) {
    const v = row[keys[j]!];
    params[at + j] = bool[j] ? (v ? 1 : 0) : v;
  }
}

function toRow(columns: Record<string, string>, obj: Row): Row {
  const row: Row = {};
  for (const k in obj) row[columns[k]!] = BOOLEAN_KEYS.has(k) ? (obj[k] ? 1 : 0) : obj[k];
  return row;
}

export class SqliteStore implements Store {
  private readonly statements = new Map<string, Database.Statement>();
  /** SqliteStore.update: by table and the patch's fields, in order. */
  private readonly updates = new Map<string, { stmt: Database.Statement; keys: string[]; bool: boolean[]; params: unknown[] }>();
  /** SqliteStore.insertRows: by table and number of rows. */
  private readonly multiRowInserts = new Map<string, { stmt: Database.Statement; params: unknown[] }>();
  /** One transaction wrapper for every call (better-sqlite3 builds a new one per db.transaction()). */
  private runInTransaction?: Database.Transaction<(fn: () => unknown) => unknown>;
  private dataVersionStmt?: Database.Statement;
  private readonly policy = new PolicyCache(() => this.dataVersion());

  constructor(readonly db: Database.Database) {}

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  /** Store.transaction: the flow runs to its end inside one IMMEDIATE transaction (it never waits: see flow.ts). */
  transaction<T>(fn: () => Flow<T>): T {
    return this.atomic(() => runSync(fn()));
  }

  /** Runs a plain function in one IMMEDIATE transaction (or inside the current one). */
  atomic<T>(fn: () => T): T {
    // IMMEDIATE takes the write lock up front, so read-then-write can never deadlock into SQLITE_BUSY.
    if (this.db.inTransaction) return fn();
    this.runInTransaction ??= this.db.transaction((f: () => unknown) => f());
    try {
      return this.runInTransaction.immediate(fn) as T;
    } finally {
      this.policy.settled();
    }
  }

  /**
   * Group commit: runs the functions in order inside ONE IMMEDIATE transaction, so the result is
   * exactly that of running them one after another, but the WAL is written and committed once.
   * A function that throws rolls back only its own work. Returns each outcome once the shared COMMIT
   * has succeeded; when the COMMIT fails, every function that had succeeded gets that error (nothing
   * of theirs is committed). Used by GroupCommit (group-commit.ts).
   *
   * First without savepoints (two statements less per function, ~15% of a verify): if none throws,
   * that is the result. If one does, that transaction is rolled back and the batch runs again with
   * each function in its own SAVEPOINT. So a function may run more than once before its outcome
   * is committed: it must have no effect outside the database that a second run would not repeat.
   */
  transactionBatch(fns: readonly (() => unknown)[]): BatchOutcome[] {
    if (this.db.inTransaction) throw new Error('transactionBatch cannot run inside a transaction');
    try {
      return this.runBatch(fns);
    } finally {
      this.policy.settled();
    }
  }

  private runBatch(fns: readonly (() => unknown)[]): BatchOutcome[] {
    this.runInTransaction ??= this.db.transaction((f: () => unknown) => f());
    const inSavepoint = this.runInTransaction;
    let threw = false;
    try {
      const values = inSavepoint.immediate(() => fns.map((fn) => {
        try {
          return fn();
        } catch (e) {
          threw = true;
          throw e;
        }
      })) as unknown[];
      return values.map((value) => ({ ok: true, value }));
    } catch (e) {
      // BEGIN or COMMIT failed: nothing was committed.
      if (!threw) return fns.map(() => ({ ok: false, error: e }));
    }
    const out: BatchOutcome[] = new Array(fns.length);
    let todo = fns.map((_, i) => i);
    while (todo.length) {
      const done: number[] = [];
      let rest: number[] = [];
      try {
        inSavepoint.immediate(() => {
          for (let k = 0; k < todo.length; k++) {
            const i = todo[k]!;
            try {
              out[i] = { ok: true, value: inSavepoint(fns[i]!) };
              done.push(i);
            } catch (error) {
              out[i] = { ok: false, error };
              // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) make SQLite roll back the whole
              // transaction: the others' work is gone too, so run them again in a new one.
              if (!this.db.inTransaction) {
                rest = [...done, ...todo.slice(k + 1)];
                throw new BatchLost();
              }
            }
          }
        });
      } catch (e) {
        if (!(e instanceof BatchLost)) {
          // BEGIN or COMMIT failed: nothing was committed. Functions that failed keep their own error.
          for (const i of todo) if (out[i] === undefined || out[i]!.ok) out[i] = { ok: false, error: e };
          rest = [];
        }
      }
      todo = rest;
    }
    return out;
  }

  /**
   * PRAGMA data_version: changes whenever another connection (another process) has committed to
   * the database since the last call on this one; this connection's own commits do not change it.
   */
  dataVersion(): number {
    this.dataVersionStmt ??= this.db.prepare('PRAGMA data_version').pluck();
    return this.dataVersionStmt.get() as number;
  }

  close(): void {
    this.db.close();
  }

  /**
   * For bulk writes (imports): checkpoint the WAL every ~40 MB instead of every ~4 MB (SQLite's
   * default). Each checkpoint copies pages into the database file and syncs the disk twice.
   * Lasts as long as this connection; the last connection to close checkpoints what is left.
   */
  bulkWrites(): void {
    this.db.pragma(`wal_autocheckpoint = ${BULK_CHECKPOINT_PAGES}`);
  }

  getMeta(key: string): string | undefined {
    return (this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as Row | undefined)?.value as string | undefined;
  }

  setMeta(key: string, value: string): void {
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // ---- users

  insertUser(u: User): void {
    this.insert('users', USER_COLUMNS, u as unknown as Row);
  }

  updateUser(id: string, patch: Partial<Omit<User, 'id'>>): void {
    this.update('users', USER_COLUMNS, id, patch as Row);
  }

  deleteUser(id: string): void {
    this.stmt('DELETE FROM users WHERE id = ?').run(id);
  }

  getUser(id: string): User | undefined {
    return fromRow<User>(USER_COLUMNS, this.stmt('SELECT * FROM users WHERE id = ?').get(id) as Row);
  }

  findUser(field: 'username' | 'email' | 'phone', value: string): User | undefined {
    return fromRow<User>(USER_COLUMNS, this.stmt(FIND_USER[field]).get(value) as Row);
  }

  searchUsers(query: string, opts: { guestsOnly: boolean; limit: number }): User[] {
    const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = this.stmt(
      `SELECT * FROM users
       WHERE (username LIKE @like ESCAPE '\\' OR email LIKE @like ESCAPE '\\' OR name LIKE @like ESCAPE '\\' OR phone LIKE @like ESCAPE '\\')
         AND (@guestsOnly = 0 OR guest = 1)
       ORDER BY username COLLATE NOCASE LIMIT @limit`,
    ).all({ like, guestsOnly: opts.guestsOnly ? 1 : 0, limit: opts.limit }) as Row[];
    return rows.map((r) => fromRow<User>(USER_COLUMNS, r)!);
  }

  // ---- TACs

  insertTac(t: TacRecord): void {
    this.insert('tacs', TAC_COLUMNS, t as unknown as Row);
  }

  updateTac(id: string, patch: Partial<TacRecord>): void {
    this.update('tacs', TAC_COLUMNS, id, patch as Row);
  }

  getTac(id: string): TacRecord | undefined {
    return fromRow<TacRecord>(TAC_COLUMNS, this.stmt('SELECT * FROM tacs WHERE id = ?').get(id) as Row);
  }

  *iterateTacs(filter: { userId?: string }): Iterable<TacRecord> {
    // rowid order is insertion order: newest first without a timestamp tie-break. One user's TACs
    // are a handful (finished ones are purged), read with all(), which for a few rows costs less
    // than iterate() (every verify reads them); the whole table is streamed.
    const rows = filter.userId === undefined
      ? this.stmt('SELECT * FROM tacs ORDER BY rowid DESC').iterate()
      : this.stmt('SELECT * FROM tacs WHERE user_id = ? ORDER BY rowid DESC').all(filter.userId);
    for (const r of rows) yield fromRow<TacRecord>(TAC_COLUMNS, r as Row)!;
  }

  tacPage(size: number, after?: number): { tacs: TacRecord[]; next?: number } {
    const rows = this.stmt('SELECT rowid AS pos_, * FROM tacs WHERE @after IS NULL OR rowid < @after ORDER BY rowid DESC LIMIT @size')
      .all({ after: after ?? null, size }) as Row[];
    const tacs = rows.map((r) => fromRow<TacRecord>(TAC_COLUMNS, r)!);
    return rows.length < size ? { tacs } : { tacs, next: rows[rows.length - 1]!.pos_ as number };
  }

  purgeCandidates(cutoff: string): TacRecord[] {
    const rows = this.stmt(
      `SELECT * FROM tacs WHERE revoked_at <= @cutoff OR expires_at <= @cutoff
         OR (one_time = 1 AND use_count > 0 AND last_used_at <= @cutoff)`,
    ).all({ cutoff }) as Row[];
    return rows.map((r) => fromRow<TacRecord>(TAC_COLUMNS, r)!);
  }

  deleteTacs(ids: string[]): string[] {
    const del = this.stmt('DELETE FROM tacs WHERE id = ?');
    return ids.filter((id) => del.run(id).changes > 0);
  }

  // ---- policy

  getPolicy(): Policy | undefined {
    return this.policy.get(() => {
      const row = this.stmt('SELECT json FROM policy WHERE id = 1').get() as Row | undefined;
      return row ? (JSON.parse(row.json as string) as Policy) : undefined;
    });
  }

  savePolicy(p: Policy): void {
    this.policy.unsettle();
    this.stmt('INSERT INTO policy (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json').run(JSON.stringify(p));
  }

  // ---- audit

  appendAudit(e: NewAuditEvent): void {
    this.stmt('INSERT INTO audit (at, actor, action, user_id, tac_id, outcome, reason, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(e.at, e.actor, e.action, e.userId, e.tacId, e.outcome, e.reason, JSON.stringify(e.details));
  }

  queryAudit(q: AuditQuery): AuditEvent[] {
    const rows = this.stmt(
      `SELECT * FROM audit
       WHERE (@userId IS NULL OR user_id = @userId) AND (@action IS NULL OR action = @action) AND (@since IS NULL OR at >= @since)
       ORDER BY id DESC LIMIT @limit`,
    ).all({ userId: q.userId ?? null, action: q.action ?? null, since: q.since ?? null, limit: q.limit }) as Row[];
    return rows.map((r) => ({
      id: r.id as number, at: r.at as string, actor: r.actor as string, action: r.action as AuditEvent['action'],
      userId: (r.user_id as string) ?? null, tacId: (r.tac_id as string) ?? null, outcome: r.outcome as AuditEvent['outcome'],
      reason: (r.reason as string) ?? null, details: JSON.parse(r.details as string) as Record<string, unknown>,
    }));
  }

  // ---- imports

  usersByEmail(emails: readonly string[]): Map<string, User> {
    const rows = this.stmt('SELECT j.value AS k, u.* FROM json_each(?) j JOIN users u ON u.email = j.value COLLATE NOCASE').all(JSON.stringify(emails)) as Row[];
    return new Map(rows.map((r) => [r.k as string, fromRow<User>(USER_COLUMNS, r)!]));
  }

  anyTaken(usernames: readonly string[], phones: readonly string[]): boolean {
    const taken = this.stmt(
      `SELECT 1 FROM json_each(@usernames) j JOIN users u ON u.username = j.value COLLATE NOCASE
       UNION ALL SELECT 1 FROM json_each(@phones) j JOIN users u ON u.phone = j.value LIMIT 1`,
    ).get({ usernames: JSON.stringify(usernames), phones: JSON.stringify(phones) });
    return taken !== undefined;
  }

  insertMany({ users, tacs, audit }: { users: readonly User[]; tacs: readonly TacRecord[]; audit: readonly NewAuditEvent[] }): void {
    this.insertRows('users', USER_COLUMNS, users as unknown as readonly Row[]);
    this.insertRows('tacs', TAC_COLUMNS, tacs as unknown as readonly Row[]);
    this.insertRows('audit', AUDIT_COLUMNS, audit.map((e) => ({ ...e, details: JSON.stringify(e.details) })));
  }

  /**
   * Multi-row INSERTs of up to ROWS_PER_INSERT rows each: one statement step instead of one per row.
   * Each size of statement is prepared once, with an array of its parameters that is reused.
   */
  private insertRows(table: string, columns: Record<string, string>, rows: readonly Row[]): void {
    const { keys, cols, bool } = columnPlan(columns);
    const width = keys.length;
    for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
      const n = Math.min(ROWS_PER_INSERT, rows.length - start);
      const key = `${table}/${n}`;
      let insert = this.multiRowInserts.get(key);
      if (!insert) {
        const one = `(${keys.map(() => '?').join(', ')})`;
        const sql = `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${Array(n).fill(one).join(', ')}`;
        this.multiRowInserts.set(key, (insert = { stmt: this.db.prepare(sql), params: new Array<unknown>(n * width) }));
      }
      const { stmt, params } = insert;
      for (let i = 0; i < n; i++) bindValues(params, i * width, rows[start + i]!, keys, bool);
      stmt.run(params);
      params.fill(null);
    }
  }

  // ---- helpers

  private insert(table: string, columns: Record<string, string>, obj: Row): void {
    const row = toRow(columns, obj);
    const cols = Object.keys(row);
    this.stmt(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`).run(row);
  }

  /**
   * One UPDATE statement per table and set of fields, prepared once, its parameters positional in
   * a reused array: every verify updates a TAC (and often its user) with the same few fields.
   */
  private update(table: string, columns: Record<string, string>, id: string, patch: Row): void {
    let key = table;
    for (const k in patch) key += `,${k}`;
    if (key === table) return;
    let u = this.updates.get(key);
    if (!u) {
      const keys = Object.keys(patch);
      const sql = `UPDATE ${table} SET ${keys.map((k) => `${columns[k]} = ?`).join(', ')} WHERE id = ?`;
      this.updates.set(key, (u = { stmt: this.db.prepare(sql), keys, bool: keys.map((k) => BOOLEAN_KEYS.has(k)), params: new Array<unknown>(keys.length + 1) }));
    }
    const { stmt, keys, bool, params } = u;
    bindValues(params, 0, patch, keys, bool);
    params[keys.length] = id;
    stmt.run(params);
    params.fill(null);
  }
}
