import { TacError } from '../../core/errors.js';
import { clientSecretOf, type ProviderOptions } from '../providers.js';
import { parseJson, type HttpTransport, retryAfterMs, type HttpResponse, type Method } from '../remote-http.js';
import { MemoryTokenCache, type CachedToken } from '../token-cache.js';
import { TokenSource } from '../token-source.js';
import { isSuccess, providerTransport, sendWithBearer, successJson } from '../provider-call.js';

/*
 * Transmit Security Mosaic over HTTP: a client-credentials token and JSON calls under {server}/cis/.
 * Shapes from Transmit's docs (developer.transmitsecurity.com: "Get client access token",
 * /openapi/user/user.openapi, /openapi/user/backend-one-time-login) and the seeds in
 * ../shared/seeds/mosaic-*.md; test/fakes/mosaic.ts answers the same shapes.
 */

/** What a call expects besides 2xx: how to word a 404. */
export interface CallOptions {
  notFound?: string;
  /** false: a 401 is the provider's answer, not a stale token (no new token, no second try). */
  renewOn401?: boolean;
  /** Secrets the request carried (a code being checked): never quoted back from the provider's reason. */
  secrets?: readonly string[];
}

const PROVIDER = 'mosaic';

export class MosaicApi {
  readonly location: string;
  /** Mosaic apps authenticate with a client id and secret only. */
  readonly client: { clientId: string; secret: string };
  private readonly http: HttpTransport;
  private readonly tokens: TokenSource;
  private readonly now: () => number;

  constructor(private readonly opts: ProviderOptions) {
    this.client = clientSecretOf(PROVIDER, opts.credential);
    this.http = providerTransport(PROVIDER, opts);
    this.location = this.http.location;
    this.now = opts.now ?? Date.now;
    this.tokens = new TokenSource(opts.tokenCache ?? new MemoryTokenCache(), `${PROVIDER}|${opts.tokenUrl}|${this.client.clientId}`, () => this.fetchToken(), this.now);
  }

  /** A new token: proves the client id and secret (tac login, tac whoami). */
  freshToken(): Promise<CachedToken> {
    return this.tokens.fresh();
  }

  /**
   * POST {token URL}, form-encoded grant_type=client_credentials, client_id, client_secret
   * (Transmit: "Get client access token"; ciam-expressjs-vanilla-samples shared/token.js) →
   * {access_token, token_type: "Bearer", expires_in}. Not refreshable: a new one is requested.
   */
  private async fetchToken(): Promise<CachedToken> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.client.clientId, client_secret: this.client.secret }).toString();
    const res = await this.http.send('POST', this.opts.tokenUrl, { headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body });
    const json = parseJson(res) as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (res.status === 200 && typeof json?.access_token === 'string') {
      const lifetime = typeof json.expires_in === 'number' ? json.expires_in * 1000 : 3_600_000;
      return { accessToken: json.access_token, expiresAt: this.now() + lifetime, scope: '' };
    }
    if (res.status === 400 || res.status === 401) {
      throw new TacError('unauthenticated', `${PROVIDER} at ${this.opts.tokenUrl} rejected client ${this.client.clientId}${why(res, [this.client.secret])}; check the client id and secret (tac login --provider mosaic)`);
    }
    throw this.error(res, 'the token request', {});
  }

  /** A JSON call with the bearer token; a 401 gets one new token and one more try (nothing was done). */
  async call<T>(method: Method, path: string, what: string, body?: unknown, opts: CallOptions = {}): Promise<T> {
    const res = await sendWithBearer(this.http, this.tokens, method, path, body, opts.renewOn401 !== false);
    if (isSuccess(res)) return successJson<T>(res, PROVIDER, what);
    throw this.error(res, what, opts);
  }

  /**
   * One line per failure, by status. Mosaic's `error_code` (a number, or for the one-time login API
   * a name such as user_not_active or auth_locked) is kept in `details.providerCode` for callers,
   * and its request id in `details.requestId` (--debug prints it).
   */
  error(res: HttpResponse, what: string, opts: CallOptions): TacError {
    const e = this.errorByStatus(res, what, opts);
    const code = (parseJson(res) as { error_code?: unknown } | undefined)?.error_code;
    const id = requestId(res);
    return new TacError(e.code, e.message, { details: { ...(typeof code === 'string' ? { providerCode: code } : {}), ...(id ? { requestId: id } : {}) } });
  }

  private errorByStatus(res: HttpResponse, what: string, opts: CallOptions): TacError {
    const at = `${PROVIDER} at ${this.location}`;
    const id = requestId(res);
    const reason = () => why(res, [this.client.secret, ...(opts.secrets ?? [])]);
    switch (true) {
      case res.status === 401:
        return new TacError('unauthenticated', `${at} refused the credentials for ${what}${reason()}; run tac login --provider mosaic`);
      case res.status === 403:
        return new TacError('forbidden', `${at} refused ${what}${reason()}: the app needs the management permission for it (Admin Portal > Applications)`);
      case res.status === 404:
        return new TacError('not_found', opts.notFound ?? `${at}: ${what}: not found`);
      case res.status === 429: {
        const after = retryAfterMs(res.headers['retry-after']);
        return new TacError('rate_limited', `${at} is limiting requests (HTTP 429) for ${what}; try again ${after === undefined ? 'later' : `in ${Math.ceil(after / 1000)} s`}`);
      }
      case res.status >= 500:
        return new TacError(res.status === 502 || res.status === 503 || res.status === 504 ? 'unreachable' : 'internal',
          `${at} failed ${what} (HTTP ${res.status}${id ? `, request id ${id}` : ''})`);
      default:
        return new TacError('invalid_value', `${at} refused ${what} (HTTP ${res.status})${reason()}`);
    }
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

/**
 * The provider's reason, one short line: `message` (a string or an array) or OAuth's
 * `error_description`. Its text is the provider's, so any secret the request carried (the client
 * secret, a code being verified) is cut out before it can reach an error line or a log.
 */
function why(res: HttpResponse, secrets: readonly string[]): string {
  const j = parseJson(res) as { message?: unknown; error_description?: unknown; error?: unknown } | undefined;
  const m = Array.isArray(j?.message) ? j.message.filter((x) => typeof x === 'string').join('; ') : j?.message ?? j?.error_description ?? j?.error;
  if (typeof m !== 'string' || !m) return '';
  let line = m;
  for (const secret of secrets) if (secret) line = line.split(secret).join('[redacted]');
  return `: ${line.replace(/\s+/g, ' ').slice(0, 200)}`;
}

function requestId(res: HttpResponse): string | undefined {
  const v = res.headers['x-request-id'] ?? res.headers['x-transmit-request-id'];
  return Array.isArray(v) ? v[0] : v;
}
