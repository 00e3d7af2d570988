import { runSync, type Flow } from '../../core/flow.js';
import type { Engine } from '../engine.js';
import { SqliteAgentsStore } from './agents.js';
import type { SqliteStore } from './store.js';

/** SQLite as an Engine: flows run at once (runSync), so nothing about the SQLite path waits. */
export class SqliteEngine implements Engine {
  readonly kind = 'sqlite' as const;
  readonly agents: SqliteAgentsStore;

  constructor(readonly store: SqliteStore) {
    this.agents = new SqliteAgentsStore(store.db);
  }

  run<T>(flow: Flow<T>): T {
    return runSync(flow);
  }

  dataVersion(): number {
    return this.store.dataVersion();
  }

  ping(): void {
    // Reads the file's first page: a bare SELECT 1 would answer even with the file unreadable.
    this.store.db.prepare('SELECT 1 FROM sqlite_schema LIMIT 1').get();
  }

  async close(): Promise<void> {
    this.store.close();
  }
}
