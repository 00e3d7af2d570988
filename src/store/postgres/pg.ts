import type * as Pg from 'pg';
import { importModule } from '../../import-module.js';

export type PgPool = Pg.Pool;
export type PgClient = Pg.PoolClient;
/** One connection, pooled or not: what the migrations run on. */
export type PgSession = Pg.ClientBase;
/** A pool or one checked-out client: what runs a query. */
export type Queryable = Pick<Pg.Pool, 'query'>;

/** Whether `db` names a PostgreSQL database (a URL) rather than a SQLite file. */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db.trim());

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** A database as messages show it: a SQLite path as is, a URL without its password. */
export const displayDb = (db: string): string => (isPostgresUrl(db) ? redactUrl(db) : db);

/**
 * node-postgres, loaded only when a postgres:// URL is used, so every other command starts as
 * before. CommonJS: import() hands it over as the default export.
 */
export async function loadPg(): Promise<typeof Pg> {
  const mod = await importModule<typeof Pg & { default?: typeof Pg }>('pg');
  return mod.default ?? mod;
}
