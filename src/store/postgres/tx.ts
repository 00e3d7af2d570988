import type { Row } from '../columns.js';
import type { PgClient } from './pg.js';

/*
 * A PostgreSQL transaction's round trips (see PgStore): what is still to be sent, and statements
 * with their parameters inlined, so several travel as one simple-protocol query.
 */

/** A transaction in progress: its connection, whether BEGIN has been sent, and writes not sent yet. */
export interface Tx {
  client: PgClient;
  begun: boolean;
  writes: string[];
  /** The TACs of the user just locked, read in the same round trip, until the next statement. */
  tacsOf?: { userId: string; rows: Row[] };
}

/** What the transaction has not sent yet (BEGIN, waiting writes), as one string, now marked sent. */
export function unsent(tx: Tx): string {
  const parts = tx.begun ? tx.writes : ['BEGIN', ...tx.writes];
  tx.begun = true;
  tx.writes = [];
  return parts.join('; ');
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
