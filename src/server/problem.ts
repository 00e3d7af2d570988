import type { FastifyError, FastifyReply } from 'fastify';
import { ERROR_TABLE, TacError, type ErrorCode } from '../core/errors.js';

/** RFC 9457 problem details with the core's stable error `code` (mapped back to exit codes by the CLI). */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  field?: string;
  details?: Record<string, unknown>;
  requestId?: string;
}

export const PROBLEM_TYPE = 'application/problem+json';

/**
 * Builds a problem from a core error code. The status comes from ERROR_TABLE; `status` overrides
 * it only for protocol errors the table has no code of its own for (405), which keep the
 * `usage` code and so the CLI's usage exit code.
 */
export function problem(code: ErrorCode, detail: string, opts: { status?: number; field?: string; details?: Record<string, unknown> } = {}): ProblemBody {
  const status = opts.status ?? ERROR_TABLE[code].http;
  return {
    type: `urn:tac:problem:${code}`,
    title: ERROR_TABLE[code].title,
    status,
    code,
    detail,
    ...(opts.field !== undefined ? { field: opts.field } : {}),
    ...(opts.details !== undefined ? { details: opts.details } : {}),
  };
}

/** The error every request limit answers with (a 429): how long to wait, in words and as a number. */
export function rateLimited(seconds: number): TacError {
  return new TacError('rate_limited', `too many requests; retry in ${seconds} seconds`, { details: { retryAfterSeconds: seconds } });
}

/** Retry-After on a 503 for an unavailable database: about how long a database restart takes. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

export function sendProblem(reply: FastifyReply, p: ProblemBody): FastifyReply {
  if (p.code === 'unavailable') reply.header('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
  // Our own serializer: the problem is plain data, and a schema mismatch must never turn it into a 500.
  return reply.status(p.status).type(PROBLEM_TYPE).serializer(JSON.stringify).send({ ...p, requestId: reply.request.id });
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** "ttl: must be integer", "body: unknown field \"foo\"", "verifiedBy: must be one of a, b". */
export function validationProblem(errors: AjvError[], context: string | undefined): ProblemBody {
  const e = errors[0]!;
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const join = (p: string, k: unknown) => (p ? `${p}.${String(k)}` : String(k));
  let field = path || context || 'body';
  let message = e.message ?? 'is invalid';
  if (e.keyword === 'required') {
    field = join(path, e.params.missingProperty);
    message = 'is required';
  } else if (e.keyword === 'additionalProperties') {
    field = join(path, e.params.additionalProperty);
    message = 'unknown field';
  } else if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) {
    message = `must be one of ${e.params.allowedValues.join(', ')}`;
  } else if (e.keyword === 'type' && context === 'body' && !path) {
    message = 'must be a JSON object';
  }
  return problem('invalid_value', `${field}: ${message}`, { field });
}

/** Fastify's own errors for bad input, each mapped to a core code: none of them is a 5xx. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; status?: number; detail?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', detail: 'request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported_media_type', status: 415, detail: 'unsupported content type; send application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'invalid_value', detail: 'request body length does not match Content-Length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_value', detail: 'request body is empty but Content-Type is application/json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_value', detail: 'request body is not valid JSON' },
  FST_ERR_BAD_URL: { code: 'invalid_value', detail: 'the URL is malformed' },
  FST_ERR_ASYNC_CONSTRAINT: { code: 'invalid_value' },
};

/** Turns anything thrown while handling a request into a problem that is safe to send. */
export function toProblem(err: unknown): { problem: ProblemBody; internal: boolean } {
  if (err instanceof TacError) {
    // key_mismatch/internal are the server's fault; their message is still safe (written for users).
    return {
      problem: problem(err.code, err.message, { field: err.field, details: err.details }),
      // An unavailable database is expected now and then (a restart, a failover): a 503, not a bug.
      internal: ERROR_TABLE[err.code].http >= 500 && err.code !== 'unavailable',
    };
  }
  const fe = err as Partial<FastifyError> & { validation?: AjvError[]; validationContext?: string; type?: string };
  if (fe && Array.isArray(fe.validation) && fe.validation.length) {
    return { problem: validationProblem(fe.validation, fe.validationContext), internal: false };
  }
  const known = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) return { problem: problem(known.code, known.detail ?? String(fe.message), { status: known.status }), internal: false };
  // JSON.parse errors from a parser, and raw-body errors from Node (aborted, bad encoding).
  if (err instanceof SyntaxError) return { problem: problem('invalid_value', 'request body is not valid JSON'), internal: false };
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    const byStatus = (Object.keys(ERROR_TABLE) as ErrorCode[]).find((c) => ERROR_TABLE[c].http === status);
    // Fastify's own 4xx errors: their messages describe the request, never our internals.
    const detail = typeof fe.code === 'string' && fe.code.startsWith('FST_') && fe.message ? fe.message : 'the request could not be processed';
    return { problem: problem(byStatus ?? 'usage', detail, { status }), internal: false };
  }
  return { problem: problem('internal', 'internal server error; see the server log for this request id'), internal: true };
}
