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
 * The URL as node-postgres is given it. node-postgres treats sslmode=prefer, require and verify-ca
 * as verify-full (it verifies the server's certificate and name: stricter than libpq), and says so
 * in a warning of several lines on stderr; tac passes verify-full for them, which node-postgres
 * does anyway, so no command prints that warning. The README says what each mode does here.
 */
export function connectionUrl(url: string): string {
  if (/[?&]uselibpqcompat=/i.test(url)) return url;
  return url.replace(/([?&]sslmode=)(prefer|require|verify-ca)(?=&|#|$)/i, '$1verify-full');
}

const CERT_ERRORS = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED',
]);

/** What to do about a failed connection, when tac can tell: appended to its one-line error. */
export function connectHint(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code && CERT_ERRORS.has(code)) return ' (the server\'s certificate is not trusted: give its CA with sslrootcert=/path/to/ca.pem in the URL, or sslmode=no-verify to encrypt without verifying)';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return ' (the host in the URL is not a name the server\'s certificate holds)';
  if (/does not support SSL/i.test((e as Error)?.message ?? '')) return ' (the server does not offer TLS: enable ssl on it, or use sslmode=disable on a trusted network)';
  return '';
}

/**
 * node-postgres, loaded only when a postgres:// URL is used, so every other command starts as
 * before. CommonJS: import() hands it over as the default export.
 */
export async function loadPg(): Promise<typeof Pg> {
  const mod = await importModule<typeof Pg & { default?: typeof Pg }>('pg');
  return mod.default ?? mod;
}
