import type { EngineBackend } from '../backends/engine-backend.js';
import { runSync, type Flow } from '../core/flow.js';
import { GroupCommit } from '../store/sqlite/group-commit.js';
import type { PgStore } from '../store/postgres/store.js';
import type { SqliteStore } from '../store/sqlite/store.js';

/** How the server runs a write: `writes.run(() => core.verify(user, code))` resolves once it is committed. */
export interface Writes {
  /** `fn` makes the flow; it may be called more than once (a group commit that runs a batch again). */
  run<T>(fn: () => Flow<T>): Promise<T>;
  /**
   * As run, for a flow that may share its transaction with other requests' flows on PostgreSQL too
   * (store/postgres/group-commit.ts): it locks at most one user, through the store's getUser or
   * findUser (the server's verify). On SQLite every write is grouped: the same as run.
   */
  runGrouped<T>(fn: () => Flow<T>): Promise<T>;
}

/**
 * The one entry the routes use for writes, on whichever engine the backend has. SQLite: group
 * commit (group-commit.ts), each flow run at once inside the shared transaction. PostgreSQL: each
 * flow opens its own transaction on a pooled connection (the core's store.transaction), so
 * concurrent requests run in parallel on the database; verifies share transactions (runGrouped).
 */
export function writesFor(backend: EngineBackend): Writes {
  const { engine } = backend;
  if (engine.kind === 'sqlite') {
    const group = new GroupCommit(engine.store as SqliteStore);
    const run = <T>(fn: () => Flow<T>) => group.run(() => runSync(fn()));
    return { run, runGrouped: run };
  }
  const store = engine.store as PgStore;
  return { run: async (fn) => engine.run(fn()), runGrouped: (fn) => store.grouped(fn) };
}
