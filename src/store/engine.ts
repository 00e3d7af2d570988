import type { Flow, MaybePromise } from '../core/flow.js';
import type { Store } from '../core/store.js';
import type { AgentsStore } from './agents-store.js';

/** A change of the database's availability as the queries see it; `reason` when it went away. */
export interface AvailabilityChange {
  available: boolean;
  reason?: string;
}

export type AvailabilityListener = (change: AvailabilityChange) => void;

/**
 * One open database: the TAC store and the agents store on it, and how flows run there. SQLite
 * runs a flow at once (runSync), PostgreSQL awaits it (runAsync): see core/flow.ts.
 */
export interface Engine {
  readonly kind: 'sqlite' | 'postgres';
  readonly store: Store;
  readonly agents: AgentsStore;
  run<T>(flow: Flow<T>): MaybePromise<T>;
  /**
   * Changes whenever another connection has committed (SQLite's PRAGMA data_version), so a cache
   * of this process may be kept until then; absent where no such signal exists (PostgreSQL), and
   * then nothing that a revocation elsewhere must end is cached.
   */
  dataVersion?(): number;
  /** A trivial query: throws when the database cannot answer (the readiness check). */
  ping(): MaybePromise<void>;
  /**
   * Told when queries start failing because the database is unavailable, and when they succeed
   * again (PostgreSQL; a SQLite file does not come and go).
   */
  onAvailabilityChange?(listener: AvailabilityListener): void;
  close(): Promise<void>;
}
