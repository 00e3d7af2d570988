import { AsyncLocalStorage } from 'node:async_hooks';
import { runAsync, type Flow } from '../../core/flow.js';
import type { Policy } from '../../core/policy.js';
import type { Store } from '../../core/store.js';
import type { AuditEvent, AuditQuery, NewAuditEvent, TacRecord, User } from '../../core/types.js';
import { AUDIT_COLUMNS, fromRow, TAC_COLUMNS, USER_COLUMNS, type Row } from '../columns.js';
import type * as Pg from 'pg';
import { Availability } from './availability.js';
import { TacError } from '../../core/errors.js';
import { isConnectionFailure, pgError } from './errors.js';
import type { PgPool } from './pg.js';
import { PgGroupCommit } from './group-commit.js';
import { lockUser, tacsOf, USER_WHERE, type UserKey } from './prepared.js';
import { runTransaction, type Session } from './transaction.js';
import { inline, inlineUpdate, sent, unsent, type RowChange, type Tx, type UserView } from './tx.js';

/** pg_advisory_xact_lock key serializing policy changes (the policy row may not exist yet). */
const POLICY_LOCK = 0x74616302;
/** pg_advisory_xact_lock key serializing first writes of meta values (the key's fingerprint). */
const META_LOCK = 0x74616303;
/** Rows per multi-row INSERT: 1,000 × 14 columns stays below PostgreSQL's 65,535 parameters. */
const ROWS_PER_INSERT = 1000;

const placeholders = (from: number, n: number) => `(${Array.from({ length: n }, (_, i) => `$${from + i + 1}`).join(', ')})`;


/**
 * The Store on PostgreSQL. Every method returns a promise; the core awaits it through its flows.
 *
 * Transactions: READ COMMITTED, and the rows a rule depends on are locked as the rule reads them:
 * inside a transaction, reading a user (getUser, findUser) takes `FOR UPDATE` on the user's row,
 * and reading a TAC locks the TAC and its user. Every rule that must see its user's state
 * unchanged until it commits (verify: one use of a one-time code, exact failure counts; issue:
 * one live TAC; disable, delete, unlock, revoke) reads that user first, so concurrent requests for
 * one user — on any replica — run one after another, and requests for different users in parallel.
 * Chosen over SERIALIZABLE: the hot case (many verifies of one user at once) would abort and retry
 * all but one transaction each round, while a row lock simply queues them. Creating users relies
 * on the unique indexes: a concurrent duplicate fails the insert, and the transaction runs again
 * (its checks then see the committed row); policy changes take an advisory lock. Deadlocks
 * (40P01), serialization failures (40001) and unique violations (23505) are retried, bounded.
 *
 * Round trips: see tx.ts (statements sent as late and as many at a time as the rules allow),
 * prepared.ts (the verify's reads, prepared per connection) and group-commit.ts (the server's
 * verifies sharing transactions).
 *
 * The transaction's queries go to its client through an AsyncLocalStorage: the core's flows stay
 * free of connections, and every query made while a transaction's flow runs is on its client.
 *
 * Failures go through pgError (errors.ts): a lost connection or a server that cannot serve is
 * TacError('unavailable'), and `availability` tells the server when that starts and ends.
 */
export class PgStore implements Store {
  private readonly tx = new AsyncLocalStorage<Tx>();
  readonly availability = new Availability();

  /** How transactions reach the pool and this store's context (transaction.ts, group-commit.ts). */
  private readonly session: Session = {
    connect: () => this.pool.connect().catch((e: unknown) => Promise.reject(this.failure(e))),
    within: (tx, fn) => this.tx.run(tx, fn),
    outside: (fn) => this.tx.exit(fn),
    failure: (e) => this.failure(e),
    succeeded: () => this.availability.succeeded(),
  };

  /** The server's verifies share transactions (group-commit.ts); everything else runs alone. */
  private readonly group = new PgGroupCommit({ ...this.session, transaction: (fn) => this.transaction(fn) });

  constructor(readonly pool: PgPool) {}

  /**
   * Runs `fn` in a transaction it may share with other flows (PgGroupCommit): for flows that lock
   * at most one user, through getUser or findUser. Resolves after the shared COMMIT.
   */
  grouped<T>(fn: () => Flow<T>): Promise<T> {
    return this.group.run(fn);
  }

  /** A query on the current transaction's client (or the pool); a unique violation becomes a conflict. */
  async query(sql: string, params: unknown[] = []): Promise<Row[]> {
    return this.rows(sql, params);
  }

  private async rows(sql: string, params: unknown[] = []): Promise<Row[]> {
    const tx = this.tx.getStore();
    if (!tx) {
      let rows: Row[];
      try {
        rows = (await this.pool.query(sql, params)).rows as Row[];
      } catch (e) {
        throw this.failure(e);
      }
      this.availability.succeeded();
      return rows;
    }
    return (await this.statements(tx, [sql], params))[0]!;
  }

  /**
   * Runs `sqls` (sharing `params`) in the transaction, after what it has not sent yet, in one round
   * trip when their parameters can be inlined: one simple-protocol query, whose statements each
   * see what the ones before them committed or locked (READ COMMITTED: a snapshot per statement).
   */
  private async statements(tx: Tx, sqls: readonly string[], params: readonly unknown[]): Promise<Row[][]> {
    tx.tacsOf = undefined;
    if (tx.group) return tx.group.statements(tx, sqls, params);
    let out: Row[][];
    try {
      const before = unsent(tx);
      const inlined = sqls.map((sql) => inline(tx.client, sql, params));
      if (inlined.some((x) => x === undefined) || (!before && sqls.length === 1)) {
        if (before) await tx.client.query(before);
        out = [];
        for (const sql of sqls) out.push((await tx.client.query(sql, params as unknown[])).rows as Row[]);
      } else {
        const results = (await tx.client.query([before, ...inlined].filter(Boolean).join('; '))) as unknown as Pg.QueryResult[];
        out = results.slice(-sqls.length).map((r) => r.rows as Row[]);
      }
    } catch (e) {
      throw this.failure(e);
    }
    sent(tx);
    this.availability.succeeded();
    return out;
  }

  /** The error to throw for `e` (see errors.ts); an unavailable database is reported once per outage. */
  private failure(e: unknown): unknown {
    const err = pgError(e);
    if (isConnectionFailure(err)) this.availability.failed(e);
    return err;
  }

  /** Whether the caller runs in one of this store's transactions. */
  inTransaction(): boolean {
    return this.tx.getStore() !== undefined;
  }

  /** A trivial query on a pooled connection: the readiness check. */
  async ping(): Promise<void> {
    await this.rows('SELECT 1');
  }

  /**
   * A user read in a transaction, locked, with its TACs read by the next statement of the same
   * round trip (after the lock is granted, so as of the previous holder's commit): verify and
   * issue read them next, and iterateTacs answers from them if nothing ran in between.
   */
  private async lockedUser(tx: Tx, key: UserKey, value: string): Promise<User | undefined> {
    const [users, tacs] = await this.statements(tx, [`EXECUTE ${lockUser(key)}($1)`, `EXECUTE ${tacsOf(key)}($1)`], [value]);
    let read: UserView | undefined = users![0] && { user: users![0], tacs: tacs!.filter((r) => r.user_id === users![0]!.id) };
    // In a group, another flow may have this user: go on as it left it (group-commit.ts).
    if (read && tx.group) read = await tx.group.lock(tx, read.user.id as string, read);
    if (!read) return undefined;
    tx.tacsOf = { userId: read.user.id as string, rows: read.tacs };
    return fromRow<User>(USER_COLUMNS, read.user);
  }

  private async one(sql: string, params: unknown[] = []): Promise<Row | undefined> {
    return (await this.rows(sql, params))[0];
  }

  /**
   * A write nothing in this transaction reads the outcome of: in a transaction it waits for the
   * next statement or the COMMIT (see the class comment); outside one it runs at once.
   */
  private write(sql: string, params: unknown[], opts: { into?: string } = {}): Promise<void> | undefined {
    const { into } = opts;
    const tx = this.tx.getStore();
    const inlined = tx && inline(tx.client, sql, params);
    if (!inlined) return this.rows(into ? `${into} VALUES ${sql}` : sql, params).then(() => undefined);
    tx.tacsOf = undefined;
    const w = into ? { into, row: inlined } : inlined;
    if (tx.group) tx.group.write(w);
    else tx.writes.push(w);
    return undefined;
  }

  async transaction<T>(fn: () => Flow<T>): Promise<T> {
    if (this.tx.getStore()) return runAsync(fn());
    return runTransaction(this.session, fn);
  }


  async getMeta(key: string, opts?: { forUpdate?: boolean }): Promise<string | undefined> {
    // The row may not exist yet (nothing to lock): an advisory lock serializes whoever may set it.
    if (opts?.forUpdate && this.tx.getStore()) await this.rows('SELECT pg_advisory_xact_lock($1)', [META_LOCK]);
    return (await this.one('SELECT value FROM meta WHERE key = $1', [key]))?.value as string | undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.rows('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  // ---- users

  async insertUser(u: User): Promise<void> {
    await this.insert('users', USER_COLUMNS, [u as unknown as Row]);
  }

  updateUser(id: string, patch: Partial<Omit<User, 'id'>>): Promise<void> | undefined {
    return this.update('users', USER_COLUMNS, id, patch as Row);
  }

  async deleteUser(id: string): Promise<void> {
    await this.rows('DELETE FROM users WHERE id = $1', [id]);
  }

  async getUser(id: string): Promise<User | undefined> {
    const tx = this.tx.getStore();
    if (tx) return this.lockedUser(tx, 'id', id);
    return fromRow<User>(USER_COLUMNS, await this.one('SELECT * FROM users WHERE id = $1', [id]));
  }

  async findUser(field: 'username' | 'email' | 'phone', value: string): Promise<User | undefined> {
    const tx = this.tx.getStore();
    if (tx) return this.lockedUser(tx, field, value);
    return fromRow<User>(USER_COLUMNS, await this.one(`SELECT * FROM users WHERE ${USER_WHERE[field]}`, [value]));
  }

  async searchUsers(query: string, opts: { guestsOnly: boolean; limit: number }): Promise<User[]> {
    const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.rows(
      `SELECT * FROM users
       WHERE (username ILIKE $1 OR email ILIKE $1 OR name ILIKE $1 OR phone ILIKE $1) AND (NOT $2 OR guest)
       ORDER BY lower(username) LIMIT $3`,
      [like, opts.guestsOnly, opts.limit],
    );
    return rows.map((r) => fromRow<User>(USER_COLUMNS, r)!);
  }

  // ---- TACs

  async insertTac(t: TacRecord): Promise<void> {
    await this.insert('tacs', TAC_COLUMNS, [t as unknown as Row]);
  }

  updateTac(id: string, patch: Partial<TacRecord>): Promise<void> | undefined {
    return this.update('tacs', TAC_COLUMNS, id, patch as Row);
  }

  async getTac(id: string): Promise<TacRecord | undefined> {
    // In a transaction the TAC's user is locked too: a revoke and a verify of it run one after the other.
    // A group's members claim users as getUser/findUser lock them; this lock is not claimed, so not grouped.
    if (this.tx.getStore()?.group) throw new Error('PgStore.getTac: not for a grouped flow (see group-commit.ts)');
    const sql = this.tx.getStore()
      ? 'SELECT t.* FROM tacs t JOIN users u ON u.id = t.user_id WHERE t.id = $1 FOR UPDATE'
      : 'SELECT * FROM tacs WHERE id = $1';
    return fromRow<TacRecord>(TAC_COLUMNS, await this.one(sql, [id]));
  }

  async iterateTacs(filter: { userId?: string }): Promise<Iterable<TacRecord>> {
    const tx = this.tx.getStore();
    const read = tx?.tacsOf;
    let rows = read && read.userId === filter.userId ? read.rows : undefined;
    if (tx) tx.tacsOf = undefined;
    rows ??= filter.userId === undefined
      ? await this.rows('SELECT * FROM tacs ORDER BY seq DESC')
      : await this.rows('SELECT * FROM tacs WHERE user_id = $1 ORDER BY seq DESC', [filter.userId]);
    return rows.map((r) => fromRow<TacRecord>(TAC_COLUMNS, r)!);
  }

  async tacPage(size: number, after?: number): Promise<{ tacs: TacRecord[]; next?: number }> {
    const rows = await this.rows('SELECT * FROM tacs WHERE $1::bigint IS NULL OR seq < $1 ORDER BY seq DESC LIMIT $2', [after ?? null, size]);
    const tacs = rows.map((r) => fromRow<TacRecord>(TAC_COLUMNS, r)!);
    return rows.length < size ? { tacs } : { tacs, next: Number(rows[rows.length - 1]!.seq) };
  }

  async purgeCandidates(cutoff: string): Promise<TacRecord[]> {
    const rows = await this.rows(
      `SELECT * FROM tacs WHERE revoked_at <= $1 OR expires_at <= $1 OR (one_time AND use_count > 0 AND last_used_at <= $1)`,
      [cutoff],
    );
    return rows.map((r) => fromRow<TacRecord>(TAC_COLUMNS, r)!);
  }

  async deleteTacs(ids: string[]): Promise<string[]> {
    // RETURNING: under READ COMMITTED a concurrent purge of the same rows deletes them first; ours then deletes none.
    const rows = await this.rows('DELETE FROM tacs WHERE id = ANY($1::text[]) RETURNING id', [ids]);
    return rows.map((r) => r.id as string);
  }

  // ---- policy

  async getPolicy(opts?: { forUpdate?: boolean }): Promise<Policy | undefined> {
    if (opts?.forUpdate && this.tx.getStore()) await this.rows('SELECT pg_advisory_xact_lock($1)', [POLICY_LOCK]);
    // Prepared on a transaction's connection only (outside one, the pool picks any connection).
    const row = await this.one(this.tx.getStore() ? 'EXECUTE tac_policy' : 'SELECT json FROM policy WHERE id = 1');
    return row ? (JSON.parse(row.json as string) as Policy) : undefined;
  }

  async savePolicy(p: Policy): Promise<void> {
    await this.rows('INSERT INTO policy (id, json) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET json = excluded.json', [JSON.stringify(p)]);
  }

  // ---- audit

  appendAudit(e: NewAuditEvent): Promise<void> | undefined {
    // One row of a multi-row INSERT: a transaction's (or a group's) audit rows go as one statement.
    return this.write(
      '($1, $2, $3, $4, $5, $6, $7, $8)',
      [e.at, e.actor, e.action, e.userId, e.tacId, e.outcome, e.reason, JSON.stringify(e.details)],
      { into: 'INSERT INTO audit (at, actor, action, user_id, tac_id, outcome, reason, details)' },
    );
  }

  async queryAudit(query: AuditQuery): Promise<AuditEvent[]> {
    const rows = await this.rows(
      `SELECT * FROM audit
       WHERE ($1::text IS NULL OR user_id = $1) AND ($2::text IS NULL OR action = $2) AND ($3::text IS NULL OR at >= $3)
       ORDER BY id DESC LIMIT $4`,
      [query.userId ?? null, query.action ?? null, query.since ?? null, query.limit],
    );
    return rows.map((r) => ({
      id: Number(r.id), at: r.at as string, actor: r.actor as string, action: r.action as AuditEvent['action'],
      userId: (r.user_id as string) ?? null, tacId: (r.tac_id as string) ?? null, outcome: r.outcome as AuditEvent['outcome'],
      reason: (r.reason as string) ?? null, details: JSON.parse(r.details as string) as Record<string, unknown>,
    }));
  }

  // ---- imports

  async usersByEmail(emails: readonly string[]): Promise<Map<string, User>> {
    const rows = await this.rows('SELECT k, u.* FROM unnest($1::text[]) AS k JOIN users u ON lower(u.email) = lower(k)', [emails]);
    return new Map(rows.map((r) => [r.k as string, fromRow<User>(USER_COLUMNS, r)!]));
  }

  async anyTaken(usernames: readonly string[], phones: readonly string[]): Promise<boolean> {
    const row = await this.one(
      `SELECT EXISTS (SELECT 1 FROM users WHERE lower(username) = ANY (SELECT lower(x) FROM unnest($1::text[]) AS x))
           OR EXISTS (SELECT 1 FROM users WHERE phone = ANY ($2::text[])) AS taken`,
      [usernames, phones],
    );
    return row?.taken === true;
  }

  async insertMany({ users, tacs, audit }: { users: readonly User[]; tacs: readonly TacRecord[]; audit: readonly NewAuditEvent[] }): Promise<void> {
    await this.insert('users', USER_COLUMNS, users as unknown as readonly Row[]);
    await this.insert('tacs', TAC_COLUMNS, tacs as unknown as readonly Row[]);
    await this.insert('audit', AUDIT_COLUMNS, audit.map((e) => ({ ...e, details: JSON.stringify(e.details) })));
  }

  // ---- helpers

  /** Multi-row INSERTs of up to ROWS_PER_INSERT rows each (booleans stay booleans here). */
  private async insert(table: string, columns: Record<string, string>, rows: readonly Row[]): Promise<void> {
    const keys = Object.keys(columns);
    for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
      const batch = rows.slice(start, start + ROWS_PER_INSERT);
      const params = batch.flatMap((row) => keys.map((k) => row[k] ?? null));
      const values = batch.map((_, i) => placeholders(i * keys.length, keys.length)).join(', ');
      await this.rows(`INSERT INTO ${table} (${Object.values(columns).join(', ')}) VALUES ${values}`, params);
    }
  }

  /** An UPDATE by id: in a transaction held back like write()'s, and sent with its other UPDATEs of `table` (tx.ts). */
  private update(table: RowChange['table'], columns: Record<string, string>, id: string, patch: Row): Promise<void> | undefined {
    const keys = Object.keys(patch);
    if (!keys.length) return undefined;
    // The row as PostgreSQL would return it after this UPDATE (for a group's view of it).
    const row = Object.fromEntries(keys.map((k) => [columns[k]!, patch[k] ?? null]));
    const tx = this.tx.getStore();
    const w = tx && inlineUpdate(tx.client, table, id, row);
    if (!w) {
      const sets = keys.map((k, i) => `${columns[k]} = $${i + 2}`).join(', ');
      return this.rows(`UPDATE ${table} SET ${sets} WHERE id = $1`, [id, ...keys.map((k) => patch[k])]).then(() => undefined);
    }
    tx.tacsOf = undefined;
    if (tx.group) tx.group.write(w, { table, id, row });
    else tx.writes.push(w);
    return undefined;
  }
}
