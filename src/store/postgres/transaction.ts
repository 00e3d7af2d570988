import { TacError } from '../../core/errors.js';
import { runAsync, type Flow } from '../../core/flow.js';
import { COMMIT_UNKNOWN, isConnectionFailure, pgError, UNIQUE_VIOLATION } from './errors.js';
import type { PgClient } from './pg.js';
import { sent, unsent, type Tx } from './tx.js';

/** Attempts of a transaction that PostgreSQL aborted for a deadlock, a serialization failure or a unique violation. */
const MAX_ATTEMPTS = 5;
const RETRYABLE = new Set(['40001', '40P01']);

/** What a transaction needs from the store (PgStore). */
export interface Session {
  /** A pooled connection (a failure already mapped: see errors.ts). */
  connect(): Promise<PgClient>;
  /** Runs `fn` with `tx` as the transaction its queries go to. */
  within<T>(tx: Tx, fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` in no transaction: what it schedules does not inherit one. */
  outside<T>(fn: () => T): T;
  /** The error to throw for `e` (reports an outage once). */
  failure(e: unknown): unknown;
  succeeded(): void;
}

/**
 * Runs the flow `fn` makes in one transaction on a pooled connection: BEGIN with its first
 * statement, its held-back writes with the COMMIT (tx.ts). A deadlock, a serialization failure or a
 * unique violation runs it again with a new flow (bounded); a lost connection destroys the client
 * and is `unavailable` (during the COMMIT: "may have been applied").
 */
export async function runTransaction<T>(session: Session, fn: () => Flow<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await session.connect();
    // The pool listens for errors of idle clients only: without a listener of ours, a connection
    // lost between two queries of this transaction would be an 'error' event that ends the process.
    let lost: unknown;
    const onLost = (e: unknown) => {
      lost = e;
    };
    client.on('error', onLost);
    const tx: Tx = { client, begun: false, writes: [] };
    let discard = false;
    let committing = false;
    try {
      const value = await session.within(tx, () => runAsync(fn()));
      // Nothing sent and nothing to write: nothing to commit.
      if (tx.begun || tx.writes.length) {
        const rest = unsent(tx);
        committing = true;
        await client.query(rest ? `${rest}; COMMIT` : 'COMMIT');
        sent(tx);
      }
      return value;
    } catch (caught) {
      // The COMMIT's query may carry held-back writes: their errors are mapped like any other.
      const e = pgError(caught);
      // Over a lost connection ROLLBACK would fail, or wait on a dead socket: the client is
      // destroyed instead (PostgreSQL rolls back what the closed session left open).
      if (lost !== undefined || isConnectionFailure(e)) {
        discard = true;
        const failure = session.failure(lost ?? e);
        // The COMMIT was sent: whether it took effect is unknown, as after a lost HTTP answer.
        throw committing ? new TacError('unavailable', COMMIT_UNKNOWN, { cause: lost ?? e }) : failure;
      }
      if (tx.begun) discard = await client.query('ROLLBACK').then(() => false, () => true);
      // A unique violation arrives as a conflict (pgError) with PostgreSQL's error as its cause.
      const code = (e as { code?: string }).code;
      const cause = ((e as { cause?: { code?: string } }).cause)?.code;
      // A new flow each time: the core's flows act only on the store (see core/service/core.ts).
      if (code && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) continue;
      // A unique index refused a row a concurrent transaction committed after this one checked:
      // run again, so the core's own checks see that row and answer as one process would
      // (skip or reissue an existing guest, name the taken username) instead of a bare conflict.
      if (e instanceof TacError && cause === UNIQUE_VIOLATION && attempt < MAX_ATTEMPTS) continue;
      throw session.failure(e);
    } finally {
      client.off('error', onLost);
      // A truthy argument destroys the client: a broken one never goes back to the pool.
      client.release(discard || lost !== undefined || tx.preparing === true);
    }
  }
}
