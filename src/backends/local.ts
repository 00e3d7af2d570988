import { systemClock, type Clock } from '../core/clock.js';
import { hmacHasher } from '../core/codes.js';
import { runSync } from '../core/flow.js';
import { TacService } from '../core/service.js';
import { loadOrCreateKey } from '../store/key-file.js';
import { SqliteEngine } from '../store/sqlite/engine.js';
import { openDatabase, SqliteStore } from '../store/sqlite/store.js';
import { EngineBackend } from './engine-backend.js';

export interface LocalOptions {
  dbPath: string;
  keyPath: string;
  actor: string;
  clock?: Clock;
}

/** The default backend: the core engine on an embedded SQLite database, in this process. */
export class LocalBackend extends EngineBackend {
  readonly store: SqliteStore;
  /** The core run synchronously (SQLite never waits): `service.verify(...)` returns the verdict. */
  readonly service: TacService;

  constructor(opts: LocalOptions) {
    const hasher = hmacHasher(loadOrCreateKey(opts.keyPath));
    const store = new SqliteStore(openDatabase(opts.dbPath));
    super(opts.dbPath, new SqliteEngine(store), hasher, opts.actor, opts.clock ?? systemClock);
    this.store = store;
    this.service = new TacService(this.core);
    try {
      runSync(this.core.checkKey(opts.keyPath));
    } catch (e) {
      this.store.close();
      throw e;
    }
  }

  protected override bulkWrites(): void {
    this.store.bulkWrites();
  }
}
