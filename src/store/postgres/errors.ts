import { TacError } from '../../core/errors.js';

/**
 * What a PostgreSQL failure means to tac, decided here and nowhere else: a unique violation is a
 * conflict; a failure of the connection or the server itself (not of the statement) means the
 * database is unavailable, a 503 the client may retry; anything else is left as it is (a bug).
 */

/** Node socket errors on the way to the server. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a server that cannot serve: 57P01-57P03 admin/crash shutdown and "cannot connect
 * now" (starting or stopping), 53300 too many connections, 28000/28P01 a login refused (a changed
 * password: the replica cannot serve until it is fixed). Class 08 (connection exception) is
 * matched by prefix.
 */
const SERVER_STATES = new Set(['57P01', '57P02', '57P03', '53300', '28000', '28P01']);

/** node-postgres's own messages for a connection it lost or never got (they carry no code). */
const DRIVER_MESSAGES = [
  /^Connection terminated/, // the server closed the socket (shutdown, crash, network)
  /^timeout (expired|exceeded when trying to connect)/, // connectionTimeoutMillis
  /^Query read timeout/, // query_timeout: the connection is no longer trusted
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
];

/** Whether `e` is a failure of the connection or server rather than of the statement. */
export function isConnectionFailure(e: unknown): boolean {
  if (e instanceof TacError) return e.code === 'unavailable';
  const err = e as { code?: unknown; message?: unknown; errors?: unknown } | undefined;
  if (!err || typeof err !== 'object') return false;
  const code = typeof err.code === 'string' ? err.code : '';
  if (SOCKET_CODES.has(code) || SERVER_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  // Node's AggregateError when every address of a host refused (localhost: ::1 and 127.0.0.1).
  if (Array.isArray(err.errors) && err.errors.length > 0 && err.errors.every(isConnectionFailure)) return true;
  return typeof err.message === 'string' && DRIVER_MESSAGES.some((re) => re.test(err.message as string));
}

/** One line for the server log: the driver's reason, which names no password (pg never prints it). */
export function failureReason(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown; cause?: unknown };
  if (e instanceof TacError && err.cause) return failureReason(err.cause);
  const message = typeof err?.message === 'string' && err.message ? err.message : String(e);
  const code = typeof err?.code === 'string' && !message.includes(err.code) ? ` (${err.code})` : '';
  return `${message.split('\n')[0]!.slice(0, 200)}${code}`;
}

export const UNIQUE_VIOLATION = '23505';

export const DB_UNAVAILABLE = 'the database is unavailable; retry in a few seconds';
export const COMMIT_UNKNOWN = 'the database went away while committing: the change may have been applied; check before repeating it';

/** The error a store method throws for `e`: a TacError where the failure has a meaning, else `e`. */
export function pgError(e: unknown): unknown {
  if (e instanceof TacError) return e;
  const err = e as { code?: string; constraint?: string };
  if (err?.code === UNIQUE_VIOLATION) {
    const what = err.constraint?.replace(/^(users|agents)_/, '') ?? 'a unique value';
    return new TacError('conflict', `${what}: already used (a concurrent change took it first)`, { cause: e });
  }
  if (isConnectionFailure(e)) return new TacError('unavailable', DB_UNAVAILABLE, { cause: e });
  return e;
}
