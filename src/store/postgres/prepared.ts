import { TAC_COLUMNS, USER_COLUMNS } from '../columns.js';

/** What a user is looked up by. */
export type UserKey = 'id' | 'username' | 'email' | 'phone';

/** The condition on a user's row for each key (usernames and emails match case-insensitively). */
export const USER_WHERE: Record<UserKey, string> = {
  id: 'id = $1', username: 'lower(username) = lower($1)', email: 'lower(email) = lower($1)', phone: 'phone = $1',
};

const USER_LIST = Object.values(USER_COLUMNS).join(', ');
const TAC_LIST = Object.values(TAC_COLUMNS).join(', ');

/**
 * The reads of a verify, prepared on each pooled connection (PREPARE, once per connection, first
 * in the first query of its first transaction: tx.ts), so each verify sends `EXECUTE name('value')` and PostgreSQL neither parses nor
 * plans them again: they are most of a verify's statements (measured with `npm run bench`).
 *
 * - Explicit column lists, never `*`: a prepared `SELECT *` fails ("cached plan must not change
 *   result type") on every connection of a running replica once a newer replica's migration adds
 *   a column; with a list, PostgreSQL re-plans it and the replica reads what it knows.
 * - Only reads are prepared: a group sends one EXECUTE that several of its flows share
 *   (group-commit.ts), which is harmless for a read and would not be for a write.
 * - SQL-level prepared statements live in a server session, so `tac serve` needs a connection of
 *   its own per pooled client: direct, or through a pooler in session mode (PgBouncer's
 *   transaction mode would hand them to sessions that never prepared them). The README says so.
 */
const STATEMENTS: Record<string, string> = {
  tac_policy: 'SELECT json FROM policy WHERE id = 1',
  ...Object.fromEntries((Object.keys(USER_WHERE) as UserKey[]).flatMap((k) => [
    [lockUser(k), `SELECT ${USER_LIST} FROM users WHERE ${USER_WHERE[k]} FOR UPDATE`],
    [tacsOf(k), `SELECT ${TAC_LIST} FROM tacs WHERE user_id IN (SELECT id FROM users WHERE ${USER_WHERE[k]}) ORDER BY seq DESC`],
  ])),
};

/** The prepared statement locking a user found by `key`; its one parameter is the value. */
export function lockUser(key: UserKey): string {
  return `tac_lock_user_by_${key}`;
}

/** The prepared statement reading the TACs of the user found by `key`, newest first. */
export function tacsOf(key: UserKey): string {
  return `tac_tacs_of_user_by_${key}`;
}

/** Every PREPARE, as one query. */
export const PREPARE_ALL = Object.entries(STATEMENTS)
  .map(([name, sql]) => `PREPARE ${name}${sql.includes('$1') ? ' (text)' : ''} AS ${sql}`)
  .join('; ');

/** Connections known to have the statements (a pooled connection prepares them once, see tx.ts). */
const ready = new WeakSet<object>();
export const isPrepared = (client: object): boolean => ready.has(client);
export const markPrepared = (client: object): void => void ready.add(client);
