import { runAsync, type Flow } from '../../core/flow.js';
import { TacError } from '../../core/errors.js';
import type { AvailabilityListener, Engine } from '../engine.js';
import type { MigrationContext } from '../migrate-phones.js';
import { PgAgentsStore } from './agents.js';
import { migrate } from './migrations.js';
import { connectHint, connectionUrl, loadPg, redactUrl, type PgPool } from './pg.js';
import { PgStore } from './store.js';

export const DEFAULT_POOL_SIZE = 10;
/**
 * How long a request may wait for a connection (a new one, or a free one of the pool) before it is
 * answered 503: a database that went away must not hold requests until the client gives up.
 */
export const CONNECT_TIMEOUT_MS = 5_000;
/**
 * How long one query may go unanswered before its connection is given up (503, the connection
 * destroyed): a server that stops answering without closing the socket (a network partition).
 * Generous beside tac's queries (milliseconds), and shorter than the CLI's 30 s request timeout.
 */
export const QUERY_TIMEOUT_MS = 15_000;

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

  ping(): Promise<void> {
    return this.store.ping();
  }

  onAvailabilityChange(listener: AvailabilityListener): void {
    this.store.availability.onChange(listener);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Connects to the database at `url` (libpq's PG* variables fill in what it leaves out; sslmode=
 * as node-postgres reads it), and migrates it once, under an advisory lock, before any query.
 * A database that cannot be reached now is `unreachable` (exit 7): a start-up error, unlike one
 * that goes away later (`unavailable`, 503, until it is back).
 */
export async function openPostgres(url: string, opts: { poolSize?: number; migration?: MigrationContext } = {}): Promise<PgEngine> {
  const pg = await loadPg();
  const { query_timeout: _none, max: _max, ...connection } = pgPoolConfig(url);
  // Migrations on a connection of their own, without the query timeout: one may rewrite a large
  // table, or wait for the lock while another replica migrates.
  const client = new pg.Client(connection);
  client.on('error', () => {});
  try {
    await client.connect();
    await migrate(client, opts.migration ?? { phoneRegion: process.env.TAC_PHONE_REGION });
  } catch (e) {
    if (e instanceof TacError) throw e;
    throw new TacError('unreachable', `cannot use the PostgreSQL database ${redactUrl(url)}: ${(e as Error).message}${connectHint(e)}`, { cause: e });
  } finally {
    await client.end().catch(() => {});
  }
  const pool = new pg.Pool(pgPoolConfig(url, opts));
  // An idle client that loses its connection must not crash the process: the pool drops it, and
  // the next query opens a new one (or reports the outage).
  pool.on('error', () => {});
  return new PgEngine(pool);
}

/** The pool's settings: its size and the bounds that keep a request from waiting on a database that went away. */
export function pgPoolConfig(url: string, opts: { poolSize?: number; connectTimeoutMs?: number; queryTimeoutMs?: number } = {}) {
  return {
    connectionString: connectionUrl(url),
    // An operator sees tac's connections in pg_stat_activity (unless the URL or PGAPPNAME names them).
    fallback_application_name: 'tac',
    max: opts.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    query_timeout: opts.queryTimeoutMs ?? QUERY_TIMEOUT_MS,
    // TCP keepalives: a connection whose peer vanished is noticed while it sits idle in the pool.
    keepAlive: true,
  };
}
