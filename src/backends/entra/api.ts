import { TacError, type ErrorCode } from '../../core/errors.js';
import { credentialClientId, type ProviderOptions } from '../providers.js';
import { parseJson, type HttpTransport, retryAfterMs, type HttpResponse, type Method } from '../remote-http.js';
import { MemoryTokenCache, type CachedToken } from '../token-cache.js';
import { TokenSource } from '../token-source.js';
import { isSuccess, providerTransport, sendWithBearer, successJson } from '../provider-call.js';
import { tokenError, tokenForm, tokenRoles } from './token.js';

/*
 * Microsoft Graph v1.0 over HTTP for Microsoft Entra ID: an app-only token from the identity
 * platform and JSON calls under {server}/v1.0/. Shapes from microsoftgraph/microsoft-graph-docs-contrib
 * (api-reference/v1.0/, concepts/errors.md); test/fakes/entra-server.mjs answers the same shapes.
 */

/** The application permission each kind of call needs: a 403 names it. */
export const PERMISSIONS = {
  users: 'User.Read.All',
  passes: 'UserAuthenticationMethod.ReadWrite.All',
  policy: 'Policy.ReadWrite.AuthenticationMethod',
} as const;

export interface CallOptions {
  /** Named when Graph answers 403. */
  permission: string;
  /** How to word a 404. */
  notFound?: string;
  /** What a 400 means: Graph refusing by the tenant's policy (issuing) or a bad value. */
  refusal?: Extract<ErrorCode, 'policy_violation' | 'invalid_value'>;
}

const PROVIDER = 'entra';

export class EntraApi {
  readonly location: string;
  private readonly http: HttpTransport;
  private readonly tokens: TokenSource;
  private readonly now: () => number;

  constructor(private readonly opts: ProviderOptions) {
    this.http = providerTransport(PROVIDER, opts);
    this.location = this.http.location;
    this.now = opts.now ?? Date.now;
    this.tokens = new TokenSource(opts.tokenCache ?? new MemoryTokenCache(), `${PROVIDER}|${opts.tokenUrl}|${this.clientId}`, () => this.fetchToken(), this.now);
  }

  get clientId(): string {
    return credentialClientId(this.opts.credential) ?? '';
  }

  /** A new token: proves the credentials (tac login, tac whoami). */
  freshToken(): Promise<CachedToken> {
    return this.tokens.fresh();
  }

  /** POST {token URL} (form): client_credentials for https://graph.microsoft.com/.default → {access_token, expires_in}. */
  private async fetchToken(): Promise<CachedToken> {
    const form = await tokenForm(this.opts.credential, this.opts.tokenUrl, this.now());
    const res = await this.http.send('POST', this.opts.tokenUrl, { headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString() });
    const json = parseJson(res) as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (res.status === 200 && typeof json?.access_token === 'string') {
      // A number on v2.0 endpoints; older ones and some proxies send it as a string.
      const seconds = Number(json.expires_in);
      const lifetime = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 3_600_000;
      return { accessToken: json.access_token, expiresAt: this.now() + lifetime, scope: tokenRoles(json.access_token).join(' ') };
    }
    if (res.status === 400 || res.status === 401) throw tokenError(res, this.clientId, this.opts.tokenUrl, this.secrets());
    throw this.error(res, 'the token request', { permission: '' });
  }

  /**
   * A Graph call with the bearer token. InvalidAuthenticationToken (401) gets one new token and one
   * more try: the request was refused unprocessed. 204 resolves to undefined.
   */
  async call<T>(method: Method, path: string, what: string, body: unknown, opts: CallOptions): Promise<T> {
    const res = await sendWithBearer(this.http, this.tokens, method, path, body);
    if (isSuccess(res)) return successJson<T>(res, PROVIDER, what);
    throw this.error(res, what, opts);
  }

  /**
   * Graph's `{"error":{"code","message","innerError":{"request-id"}}}` as one line, by status and
   * code; the code is kept in `details.providerCode` and the request id in `details.requestId`.
   */
  error(res: HttpResponse, what: string, opts: CallOptions): TacError {
    const body = (parseJson(res) as { error?: { code?: unknown; message?: unknown; innerError?: Record<string, unknown> } } | undefined)?.error;
    const code = typeof body?.code === 'string' ? body.code : undefined;
    const header = res.headers['request-id'];
    const id = (Array.isArray(header) ? header[0] : header) ?? (typeof body?.innerError?.['request-id'] === 'string' ? body.innerError['request-id'] : undefined);
    let message = typeof body?.message === 'string' ? body.message.replace(/\s+/g, ' ').slice(0, 200) : '';
    for (const s of this.secrets()) if (s) message = message.split(s).join('[redacted]');
    const e = this.byStatus(res, what, opts, code, message, id);
    return new TacError(e.code, e.message, { details: { ...(code ? { providerCode: code } : {}), ...(id ? { requestId: id } : {}) } });
  }

  private byStatus(res: HttpResponse, what: string, opts: CallOptions, code: string | undefined, message: string, id: string | undefined): TacError {
    const at = `${PROVIDER} at ${this.location}`;
    const said = message ? `: ${message}` : '';
    switch (true) {
      case res.status === 401:
        return new TacError('unauthenticated', `${at} refused the access token for ${what}${said}; run tac login --provider entra`);
      case res.status === 403:
        return new TacError('forbidden', `${at} refused ${what} (${code ?? 'HTTP 403'}): the app needs the application permission ${opts.permission} with admin consent (App registrations > API permissions)`);
      case res.status === 404:
        return new TacError('not_found', opts.notFound ?? `${at}: ${what}: not found`);
      case res.status === 429: {
        const after = retryAfterMs(res.headers['retry-after']);
        return new TacError('rate_limited', `${at} is throttling requests (HTTP 429) for ${what}; try again ${after === undefined ? 'later' : `in ${Math.ceil(after / 1000)} s`}`);
      }
      case res.status >= 500:
        return new TacError(res.status === 502 || res.status === 503 || res.status === 504 ? 'unreachable' : 'internal',
          `${at} failed ${what} (HTTP ${res.status}${code ? ` ${code}` : ''}${id ? `, request id ${id}` : ''})`);
      default:
        return new TacError(opts.refusal ?? 'invalid_value', `${at} refused ${what} (${code ?? `HTTP ${res.status}`})${said}`);
    }
  }

  /** Never quoted back from a provider's text. */
  private secrets(): string[] {
    return this.opts.credential.kind === 'client_secret' ? [this.opts.credential.secret] : [];
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
