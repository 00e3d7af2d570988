/**
 * Typed errors with stable codes. One table maps each code to the CLI exit code and the HTTP
 * status, so the CLI, the server and the remote client cannot disagree.
 */
export const ERROR_TABLE = {
  usage: { exit: 2, http: 400, title: 'Invalid usage' },
  invalid_value: { exit: 2, http: 400, title: 'Invalid value' },
  payload_too_large: { exit: 2, http: 413, title: 'Payload too large' },
  unsupported_media_type: { exit: 2, http: 415, title: 'Unsupported media type' },
  not_found: { exit: 3, http: 404, title: 'Not found' },
  unauthenticated: { exit: 4, http: 401, title: 'Authentication required' },
  forbidden: { exit: 4, http: 403, title: 'Forbidden' },
  policy_violation: { exit: 5, http: 422, title: 'Rejected by policy' },
  conflict: { exit: 5, http: 409, title: 'Conflict' },
  rate_limited: { exit: 5, http: 429, title: 'Too many requests' },
  // An identity provider that has no such operation (tac list on Mosaic): the request is refused
  // as a whole, like a policy refusal, so scripts branch on the same exit code.
  unsupported: { exit: 5, http: 501, title: 'Not offered by the provider' },
  verification_failed: { exit: 6, http: 200, title: 'Verification failed' },
  unreachable: { exit: 7, http: 502, title: 'Server unreachable' },
  // The server's database does not answer (PostgreSQL down, restarting, out of connections): the
  // request was not served, and may be sent again once it is back, as after `unreachable`.
  unavailable: { exit: 7, http: 503, title: 'Database unavailable' },
  key_mismatch: { exit: 1, http: 500, title: 'Hashing key mismatch' },
  internal: { exit: 1, http: 500, title: 'Internal error' },
  interrupted: { exit: 130, http: 499, title: 'Interrupted' },
  // Answering No to a confirmation: a decision, neither an error (1-7) nor a signal (128+n). gh
  // keeps cancel apart too (its 2, which is tac's usage code). Never sent over HTTP; after
  // `interrupted` so a bare 499 still maps to that.
  cancelled: { exit: 8, http: 499, title: 'Cancelled' },
} as const;

export type ErrorCode = keyof typeof ERROR_TABLE;

/** Exit codes as documented in the README (one row per code). */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  notFound: 3,
  auth: 4,
  rejected: 5,
  verificationFailed: 6,
  unreachable: 7,
  cancelled: 8,
  interrupted: 130,
  /** Standard output closed before everything was written (`tac list | head -1`): 128 + SIGPIPE, as shells report tools it killed. */
  closedPipe: 141,
} as const;

/** A user-facing error: its message is one line, safe to print, and never holds a secret. */
export class TacError extends Error {
  readonly code: ErrorCode;
  /** The input field the error is about, when there is one (e.g. "--ttl", "email", "line 4"). */
  readonly field?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, opts: { field?: string; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TacError';
    this.code = code;
    this.field = opts.field;
    this.details = opts.details;
  }

  get exitCode(): number {
    return ERROR_TABLE[this.code].exit;
  }

  get httpStatus(): number {
    return ERROR_TABLE[this.code].http;
  }
}

export const invalid = (field: string, message: string): TacError =>
  new TacError('invalid_value', `${field}: ${message}`, { field });

export const notFound = (what: string): TacError => new TacError('not_found', `${what} not found`);

export const isTacError = (e: unknown): e is TacError => e instanceof TacError;
