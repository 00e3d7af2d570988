import { runAsync, type Flow } from '../../core/flow.js';
import { TacError } from '../../core/errors.js';
import type { Engine } from '../engine.js';
import type { MigrationContext } from '../migrate-phones.js';
import { PgAgentsStore } from './agents.js';
import { migrate } from './migrations.js';
import { connectHint, connectionUrl, loadPg, redactUrl, type PgPool } from './pg.js';
import { PgStore } from './store.js';

export const DEFAULT_POOL_SIZE = 10;

/** PostgreSQL as an Engine: flows are awaited (runAsync); no cache outlives another replica's commit. */
export class PgEngine implements Engine {
  readonly kind = 'postgres' as const;
  readonly store: PgStore;
  readonly agents: PgAgentsStore;

  constructor(readonly pool: PgPool) {
    this.store = new PgStore(pool);
    this.agents = new PgAgentsStore(this.store);
  }

  run<T>(flow: Flow<T>): Promise<T> {
    return runAsync(flow);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Connects to the database at `url` (libpq's PG* variables fill in what it leaves out; sslmode=
 * as node-postgres reads it), and migrates it once, under an advisory lock, before any query.
 */
export async function openPostgres(url: string, opts: { poolSize?: number; migration?: MigrationContext } = {}): Promise<PgEngine> {
  const pg = await loadPg();
  // An operator sees tac's connections in pg_stat_activity (unless the URL or PGAPPNAME names them).
  const pool = new pg.Pool({ connectionString: connectionUrl(url), max: opts.poolSize ?? DEFAULT_POOL_SIZE, fallback_application_name: 'tac' });
  // An idle client that loses its connection must not crash the process: the next query reports it.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    try {
      await migrate(client, opts.migration ?? { phoneRegion: process.env.TAC_PHONE_REGION });
    } finally {
      client.release();
    }
  } catch (e) {
    await pool.end().catch(() => {});
    if (e instanceof TacError) throw e;
    throw new TacError('unreachable', `cannot use the PostgreSQL database ${redactUrl(url)}: ${(e as Error).message}${connectHint(e)}`, { cause: e });
  }
  return new PgEngine(pool);
}
