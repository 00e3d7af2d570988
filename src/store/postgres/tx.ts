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
 * An UPDATE of one row by id, inlined: the table, the id's literal and each column's new value as
 * a literal (literal()). The UPDATEs of one table travel together as one statement (render).
 */
export interface Update {
  table: RowChange['table'];
  id: string;
  set: Record<string, string>;
}

/**
 * A held-back write, inlined: a statement, one row of an INSERT whose rows (`into`: the
 * statement up to VALUES) are sent together as one multi-row INSERT, or an UPDATE by id.
 */
export type Write = string | { into: string; row: string } | Update;

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
 * The writes as statements, rows of one INSERT as one statement and UPDATEs of one table as one
 * (updates()), each where the last of its writes was (later, never earlier, than each: a row is
 * not written before what it may refer to). Nothing between reads them: held-back writes are
 * those whose outcome nothing in the transaction reads.
 */
function render(writes: readonly Write[]): string[] {
  const key = (w: Write) => (typeof w === 'string' ? undefined : 'into' in w ? w.into : `UPDATE ${w.table}`);
  const last = new Map<string, number>();
  writes.forEach((w, i) => {
    const k = key(w);
    if (k !== undefined) last.set(k, i);
  });
  if (!last.size) return writes as string[];
  const together = new Map<string, Exclude<Write, string>[]>();
  const out: string[] = [];
  writes.forEach((w, i) => {
    const k = key(w);
    if (k === undefined) return void out.push(w as string);
    const list = together.get(k) ?? [];
    together.set(k, list);
    list.push(w as Exclude<Write, string>);
    if (last.get(k) !== i) return;
    const x = w as Exclude<Write, string>;
    if ('into' in x) out.push(`${x.into} VALUES ${(list as { row: string }[]).map((r) => r.row).join(', ')}`);
    else out.push(...updates(x.table, list as Update[]));
  });
  return out;
}

/**
 * UPDATEs of one table as few statements: one per set of columns, all its rows in one
 * `UPDATE … FROM (VALUES …)` (a group's verifies: one statement, not one per member; PostgreSQL
 * parses, plans and starts each statement, and checks the foreign key of each UPDATE of a row
 * this transaction wrote before). Several UPDATEs of one row (members of a group verifying one
 * user, in turn) are merged first, in order, so the last value of each column wins, as if each
 * had run: VALUES must not hold a row twice (UPDATE … FROM would apply only one of them).
 * Literals keep their types in VALUES (literal()): integers bare, booleans TRUE/FALSE, text quoted.
 */
function updates(table: string, list: readonly Update[]): string[] {
  const rows = new Map<string, Record<string, string>>();
  for (const u of list) rows.set(u.id, { ...rows.get(u.id), ...u.set });
  const byColumns = new Map<string, [string, Record<string, string>][]>();
  for (const [id, set] of rows) {
    const columns = Object.keys(set).sort().join(', ');
    const same = byColumns.get(columns) ?? [];
    byColumns.set(columns, same);
    same.push([id, set]);
  }
  return [...byColumns].map(([columns, same]) => {
    const names = columns.split(', ');
    if (same.length === 1) {
      const [id, set] = same[0]!;
      return `UPDATE ${table} SET ${names.map((c) => `${c} = ${set[c]}`).join(', ')} WHERE id = ${id}`;
    }
    const values = same.map(([id, set]) => `(${[id, ...names.map((c) => set[c])].join(', ')})`).join(', ');
    return `UPDATE ${table} AS t SET ${names.map((c) => `${c} = v.${c}`).join(', ')} FROM (VALUES ${values}) AS v (id, ${columns}) WHERE t.id = v.id`;
  });
}

/**
 * Columns with a unique index: an UPDATE of one goes alone, in its turn. Merged into one statement
 * the rows would change in no set order, and PostgreSQL checks a (non-deferrable) unique index row
 * by row, so a swap that is fine in turn (a's phone to b, b's to a) could clash midway.
 */
const UNIQUE_COLUMNS = new Set(['username', 'email', 'phone']);

/** An UPDATE of row `id` of `table` to `row` (columns and values), inlined; undefined if a value cannot be (literal()). */
export function inlineUpdate(client: PgClient, table: Update['table'], id: string, row: Row): Update | undefined {
  const idLiteral = literal(client, id, true);
  if (idLiteral === undefined) return undefined;
  const set: Record<string, string> = {};
  for (const [column, v] of Object.entries(row)) {
    if (UNIQUE_COLUMNS.has(column)) return undefined;
    const l = literal(client, v, true);
    if (l === undefined) return undefined;
    set[column] = l;
  }
  return { table, id: idLiteral, set };
}

/**
 * A value as an SQL literal, or undefined for what cannot be inlined: a NUL in a string (it would
 * end a simple query's text: such a value goes as a parameter), or anything but a string, a finite
 * number, a boolean or null. By default every value is quoted, as node-postgres sends parameters
 * (as text, typed by PostgreSQL from context). `typed` keeps the type where a literal stands alone
 * (in VALUES): a safe integer bare, a boolean TRUE/FALSE, a string quoted (text), null NULL. Text
 * is the only nullable column type of the rows updated (users, tacs), so a column of NULLs in
 * VALUES (text) fits its column.
 */
function literal(client: PgClient, v: unknown, typed = false): string | undefined {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return v.includes('\0') ? undefined : client.escapeLiteral(v);
  if (typeof v === 'boolean') return typed ? (v ? 'TRUE' : 'FALSE') : client.escapeLiteral(String(v));
  if (typeof v !== 'number') return undefined;
  if (typed) return Number.isSafeInteger(v) ? String(v) : undefined;
  return Number.isFinite(v) ? client.escapeLiteral(String(v)) : undefined;
}

/**
 * `sql` with its parameters as escaped literals (node-postgres's escapeLiteral, as libpq's, via
 * literal()), or undefined when one cannot be inlined.
 */
export function inline(client: PgClient, sql: string, params: readonly unknown[]): string | undefined {
  const literals: string[] = [];
  for (const v of params) {
    const l = literal(client, v);
    if (l === undefined) return undefined;
    literals.push(l);
  }
  return sql.replace(/\$(\d+)/g, (_, i: string) => literals[Number(i) - 1]!);
}
