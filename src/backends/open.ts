import { hmacHasher } from '../core/codes.js';
import { loadOrCreateKey } from '../store/key-file.js';
import { isPostgresUrl, redactUrl } from '../store/postgres/pg.js';
import type { EngineBackend } from './engine-backend.js';
import type { LocalOptions } from './local.js';

export interface OpenOptions extends LocalOptions {
  /** PostgreSQL connections kept open (serve's --pool-size); ignored for SQLite. */
  poolSize?: number;
}

/**
 * tac's own engine on the database `dbPath` names: a postgres:// or postgresql:// URL opens
 * PostgreSQL (node-postgres is loaded only then), anything else is a SQLite file.
 */
export async function openEngineBackend(opts: OpenOptions): Promise<EngineBackend> {
  if (!isPostgresUrl(opts.dbPath)) {
    const { LocalBackend } = await import('./local.js');
    return new LocalBackend(opts);
  }
  const [{ openPostgres }, { EngineBackend }] = await Promise.all([import('../store/postgres/engine.js'), import('./engine-backend.js')]);
  // The key first: a missing key file is created before anything touches the database.
  const hasher = hmacHasher(loadOrCreateKey(opts.keyPath));
  const engine = await openPostgres(opts.dbPath, { poolSize: opts.poolSize });
  const backend = new EngineBackend(redactUrl(opts.dbPath), engine, hasher, opts.actor, opts.clock);
  try {
    await backend.checkKey(opts.keyPath);
  } catch (e) {
    await backend.close();
    throw e;
  }
  return backend;
}
