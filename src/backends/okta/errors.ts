import { TacError, type ErrorCode } from '../../core/errors.js';
import { parseJson, retryAfterMs, type HttpResponse } from '../remote-http.js';

/*
 * Okta's refusals as one line each. Management API errors are {errorCode, errorSummary, errorLink,
 * errorId, errorCauses[{errorSummary}]} (okta-management-openapi-spec, dist/current/
 * management-minimal.yaml, components.schemas.Error and the examples ErrorApiValidationFailed
 * E0000001, ErrorAccessDenied E0000006, ErrorResourceNotFound E0000007, ErrorInvalidTokenProvided
 * E0000011, ErrorTooManyRequests E0000047); the token endpoint answers OAuth's {error, error_description}.
 */

/** What a call needs, to word its refusals. */
export interface CallOptions {
  /** The message for a 404 (E0000007), e.g. naming the user. */
  notFound?: string;
  /** What Okta's validation error (E0000001) means here: a bad value (exit 2) or a refusal by the org's settings (exit 5). */
  validation?: 'invalid_value' | 'policy_violation';
  /** The OAuth scope the call needs (named on a 403 for a service app). */
  scope?: string;
  /** The admin permission the call needs (named on a 403). */
  permission?: string;
}

export interface OktaErrorBody {
  errorCode?: unknown;
  errorSummary?: unknown;
  errorCauses?: unknown;
  error?: unknown;
  error_description?: unknown;
}

export const PROVIDER = 'okta';

export function header(res: Pick<HttpResponse, 'headers'>, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export const requestId = (res: HttpResponse): string | undefined => header(res, 'x-okta-request-id');

/**
 * How long Okta asks to wait after a 429: X-Rate-Limit-Reset (epoch seconds) minus the response's
 * own Date, plus a second (Okta's rate-limit guide; reading the server's clock, not ours, so a
 * skewed desk clock cannot make tac wait for hours or not at all). Retry-After when those are absent.
 */
export function rateLimitWaitMs(res: Pick<HttpResponse, 'headers'>): number | undefined {
  const reset = Number(header(res, 'x-rate-limit-reset'));
  const date = Date.parse(header(res, 'date') ?? '');
  if (!Number.isFinite(reset) || reset <= 0 || Number.isNaN(date)) return retryAfterMs(res.headers['retry-after']);
  return Math.max(0, reset * 1000 - date) + 1000;
}

/** Okta's reason, one short line: errorSummary and its causes, or OAuth's error_description. */
export function why(res: HttpResponse): string {
  const j = parseJson(res) as OktaErrorBody | undefined;
  const causes = Array.isArray(j?.errorCauses)
    ? j.errorCauses.map((c: { errorSummary?: unknown }) => c?.errorSummary).filter((s): s is string => typeof s === 'string' && s !== '')
    : [];
  const main = typeof j?.errorSummary === 'string' ? j.errorSummary : typeof j?.error_description === 'string' ? j.error_description : typeof j?.error === 'string' ? j.error : '';
  const line = [main, ...causes].filter(Boolean).join('; ');
  return line ? `: ${line.replace(/\s+/g, ' ').slice(0, 240)}` : '';
}

/** Okta's error code (E0000…) and request id, kept for callers and --debug. */
function details(res: HttpResponse): Record<string, unknown> {
  const code = (parseJson(res) as OktaErrorBody | undefined)?.errorCode;
  const id = requestId(res);
  return { ...(typeof code === 'string' ? { providerCode: code } : {}), ...(id ? { requestId: id } : {}) };
}

export const providerCode = (e: unknown): unknown => (e instanceof TacError ? e.details?.providerCode : undefined);

/**
 * A management API failure. `auth` says what the credentials are, so a 403 names what to grant:
 * the app's scope and its admin role's permission, or the API token's admin's permission.
 */
export function apiError(res: HttpResponse, what: string, at: string, auth: 'api_token' | 'private_key', opts: CallOptions): TacError {
  const code = (parseJson(res) as OktaErrorBody | undefined)?.errorCode;
  const id = requestId(res);
  const make = (c: ErrorCode, message: string) => new TacError(c, message, { details: details(res) });
  const permission = opts.permission ? `an admin role with the permission ${opts.permission}` : 'an admin role allowed to do it';
  switch (true) {
    case res.status === 401 || code === 'E0000011':
      return make('unauthenticated', `${at} refused the ${auth === 'api_token' ? 'API token' : 'access token'} for ${what}${why(res)}; run tac login --provider okta`);
    case res.status === 403 || code === 'E0000006': {
      const need = auth === 'api_token'
        ? `the admin who created the API token needs ${permission}`
        : `the app needs the scope ${opts.scope ?? 'for it'} granted and ${permission}`;
      return make('forbidden', `${at} refused ${what}${why(res)}: ${need}`);
    }
    case res.status === 404 || code === 'E0000007':
      return make('not_found', opts.notFound ?? `${at}: ${what}: not found`);
    case res.status === 429 || code === 'E0000047': {
      const wait = rateLimitWaitMs(res);
      return make('rate_limited', `${at} is limiting requests (HTTP 429) for ${what}; try again ${wait === undefined ? 'later' : `in ${Math.ceil(wait / 1000)} s`}`);
    }
    case res.status >= 500:
      return make(res.status === 502 || res.status === 503 || res.status === 504 ? 'unreachable' : 'internal',
        `${at} failed ${what} (HTTP ${res.status}${id ? `, request id ${id}` : ''})`);
    case code === 'E0000001':
      return make(opts.validation ?? 'invalid_value', `${at} refused ${what}${why(res)}`);
    default:
      return make('invalid_value', `${at} refused ${what} (HTTP ${res.status})${why(res)}`);
  }
}

/**
 * A token endpoint failure (OAuth errors, RFC 6749 §5.2): a client Okta does not know or whose
 * assertion it cannot verify, or scopes the app was not granted (named).
 */
export function tokenError(res: HttpResponse, tokenUrl: string, clientId: string, scopes: readonly string[]): TacError {
  const error = (parseJson(res) as OktaErrorBody | undefined)?.error;
  const at = `${PROVIDER} at ${tokenUrl}`;
  const make = (c: ErrorCode, message: string) => new TacError(c, message, { details: details(res) });
  if (error === 'invalid_scope') {
    return make('forbidden', `${at} refused the scopes ${scopes.join(' ')} for client ${clientId}${why(res)}; grant them to the app (Okta API Scopes tab)`);
  }
  if (error === 'use_dpop_nonce' || error === 'invalid_dpop_proof') {
    return make('unauthenticated', `${at} requires DPoP for client ${clientId} and refused tac's proof${why(res)}`);
  }
  if (res.status === 400 || res.status === 401) {
    return make('unauthenticated', `${at} rejected client ${clientId}${why(res)}; check the client id, the private key and its key id (the app's public key in Okta) (tac login --provider okta)`);
  }
  return apiError(res, 'the token request', at, 'private_key', {});
}
