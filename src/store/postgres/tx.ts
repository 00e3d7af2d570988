import type { Row } from '../columns.js';
import type { PgClient } from './pg.js';
import { isPrepared, markPrepared, PREPARE_ALL } from './prepared.js';

/*
 * A PostgreSQL transaction's round trips (see PgStore): what is still to be sent, and statements
 * with their parameters inlined, so several travel as one simple-protocol query.
 *
 * Round trips (each a wait, with the user's row locked, and a wake-up of two processes; see
 * `npm run bench`): statements are sent as late and as many at a time as the rules allow, as one
 * simple-protocol query with their parameters inlined as escaped literals (libpq's escaping;
 * node-postgres always speaks UTF-8, where that escaping is safe). BEGIN travels with the first
 * statement; locking a user also reads its TACs (the next statement in that round trip, so after
 * the lock); the writes whose outcome nothing reads (updateTac, updateUser, appendAudit) wait for
 * the next statement or the COMMIT, which carries them. A verify is BEGIN + policy, user + TACs,
 * writes + COMMIT: three round trips instead of seven, one of them with the user locked instead of
 * four. Errors of held-back writes (none is expected) fail the COMMIT instead: it rolls back alike.
 */

/** A transaction in progress: its connection, whether BEGIN has been sent, and writes not sent yet. */
export interface Tx {
  client: PgClient;
  begun: boolean;
  writes: Write[];
  /** The TACs of the user just locked, read in the same round trip, until the next statement. */
  tacsOf?: { userId: string; rows: Row[] };
  /** PREPARE went with this transaction's first query (prepared.ts) and is not yet known to have run. */
  preparing?: boolean;
  /** Set when this flow shares its transaction with others (group-commit.ts): its statements go there. */
  group?: TxGroup;
}

/** A transaction several flows share (PgGroupCommit): where a member's statements and writes go. */
export interface TxGroup {
  /** Sent with the other members' in the next round; one row list per statement. */
  statements(tx: Tx, sqls: readonly string[], params: readonly unknown[]): Promise<Row[][]>;
  /** A write nothing reads back, inlined; `change`: what it changes in a user's or a TAC's row. */
  write(w: Write, change?: RowChange): void;
  /** `tx` locked `userId` and read `read`: the user and TACs to go on with (see PgGroupCommit). */
  lock(tx: Tx, userId: string, read: UserView): UserView | Promise<UserView>;
}

/** A user's row and its TACs' rows, newest first. */
export interface UserView {
  user: Row;
  tacs: Row[];
}

/** An UPDATE of one row by id, as columns and their new values. */
export interface RowChange {
  table: 'users' | 'tacs';
  id: string;
  row: Row;
}

/**
 * A held-back write, inlined: a statement, or one row of an INSERT whose rows (`into`: the
 * statement up to VALUES) are sent together as one multi-row INSERT.
 */
export type Write = string | { into: string; row: string };

/** What the transaction has not sent yet (BEGIN, waiting writes), as one string, now marked sent. */
export function unsent(tx: Tx): string {
  const parts = tx.begun ? render(tx.writes) : [...prepare(tx), 'BEGIN', ...render(tx.writes)];
  tx.begun = true;
  tx.writes = [];
  return parts.join('; ');
}

/** The PREPAREs a connection new to them needs, first in its first transaction's first query. */
function prepare(tx: Tx): string[] {
  if (isPrepared(tx.client)) return [];
  tx.preparing = true;
  return [PREPARE_ALL];
}

/**
 * After a query of `tx` succeeded: its connection has the prepared statements. A transaction that
 * ends with `preparing` still set destroys its connection (whether they exist there is unknown).
 */
export function sent(tx: Tx): void {
  if (!tx.preparing) return;
  markPrepared(tx.client);
  tx.preparing = false;
}

/**
 * The writes as statements, rows of one INSERT as one statement where the last of them was (later,
 * never earlier, than each: a row is not written before what it may refer to). Nothing between
 * reads them: held-back writes are those whose outcome nothing in the transaction reads.
 */
function render(writes: readonly Write[]): string[] {
  const last = new Map<string, number>();
  writes.forEach((w, i) => typeof w !== 'string' && last.set(w.into, i));
  if (!last.size) return writes as string[];
  const rows = new Map<string, string[]>();
  const out: string[] = [];
  writes.forEach((w, i) => {
    if (typeof w === 'string') return void out.push(w);
    const list = rows.get(w.into) ?? [];
    rows.set(w.into, list);
    list.push(w.row);
    if (last.get(w.into) === i) out.push(`${w.into} VALUES ${list.join(', ')}`);
  });
  return out;
}

/**
 * `sql` with its parameters as escaped literals (node-postgres's escapeLiteral, as libpq's), or
 * undefined when one is not a string, a finite number, a boolean or null. Every value becomes a
 * quoted literal, as node-postgres sends parameters (as text, typed by PostgreSQL from context).
 */
export function inline(client: PgClient, sql: string, params: readonly unknown[]): string | undefined {
  const literals: string[] = [];
  for (const v of params) {
    if (v === null || v === undefined) literals.push('NULL');
    // A NUL cannot travel in a simple query (it ends the query's text): such a value goes as a parameter.
    else if (typeof v === 'string' && v.includes('\0')) return undefined;
    else if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) literals.push(client.escapeLiteral(String(v)));
    else return undefined;
  }
  return sql.replace(/\$(\d+)/g, (_, i: string) => literals[Number(i) - 1]!);
}
