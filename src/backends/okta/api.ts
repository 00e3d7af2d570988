import { TacError } from '../../core/errors.js';
import { signClientAssertion } from '../client-assertion.js';
import type { ProviderOptions } from '../providers.js';
import { parseJson, type HttpTransport, type HttpResponse, type Method } from '../remote-http.js';
import { MemoryTokenCache, type CachedToken, type TokenCache } from '../token-cache.js';
import { TokenSource } from '../token-source.js';
import { DpopKey } from './dpop.js';
import { isSuccess, providerTransport, successJson } from '../provider-call.js';
import { apiError, header, PROVIDER, rateLimitWaitMs, tokenError, type CallOptions } from './errors.js';

export type { CallOptions } from './errors.js';

/*
 * Okta's management API over HTTP, as an API token (`Authorization: SSWS …`) or an OAuth 2.0
 * service app: client credentials with private_key_jwt at {server}/oauth2/v1/token (Okta's
 * "Implement OAuth for Okta with a service app"; okta/okta-sdk-nodejs src/oauth.js and src/jwt.js),
 * with DPoP when the org requires it. test/fakes/okta-server.mjs answers the same shapes.
 */

/** What tac asks a service app for: read and manage users (TAC enrollments) and the TAC authenticator. */
export const SCOPES = ['okta.users.read', 'okta.users.manage', 'okta.authenticators.read', 'okta.authenticators.manage'] as const;

type Credential = Extract<ProviderOptions['credential'], { kind: 'api_token' | 'private_key' }>;

export class OktaApi {
  readonly location: string;
  readonly credential: Credential;
  private readonly http: HttpTransport;
  private readonly tokens: TokenSource | undefined;
  private readonly now: () => number;
  /** Made when the token endpoint asks for DPoP; then tokens stay in memory (they are bound to this key). */
  private dpop: Promise<DpopKey> | undefined;
  /** The resource server's last DPoP-Nonce, for the next proof. */
  private resourceNonce: string | undefined;

  constructor(private readonly opts: ProviderOptions) {
    const cred = opts.credential;
    if (cred.kind !== 'api_token' && cred.kind !== 'private_key') {
      throw new TacError('invalid_value', 'okta takes an API token (TAC_API_TOKEN, --api-token-stdin) or a service app\'s private key (TAC_CLIENT_ID + TAC_PRIVATE_KEY_FILE); it does not accept client secrets for management scopes');
    }
    this.credential = cred;
    this.http = providerTransport(PROVIDER, opts, rateLimitWaitMs);
    this.location = this.http.location;
    this.now = opts.now ?? Date.now;
    if (cred.kind === 'private_key') {
      const persistent = opts.tokenCache ?? new MemoryTokenCache();
      const memory = new MemoryTokenCache();
      // A DPoP-bound token is useless without this process's key: it is never written to the file cache.
      const cache: TokenCache = {
        get: (k) => (this.dpop ? memory : persistent).get(k),
        set: (k, t) => (this.dpop ? memory : persistent).set(k, t),
        delete: (k) => (this.dpop ? memory : persistent).delete(k),
      };
      this.tokens = new TokenSource(cache, `${PROVIDER}|${opts.tokenUrl}|${cred.clientId}`, () => this.fetchToken(cred), this.now);
    }
  }

  /** Whether the org made tac use DPoP (whoami says so). */
  get usesDpop(): boolean {
    return this.dpop !== undefined;
  }

  /** A new token (service app only): proves the key and names the granted scopes. */
  freshToken(): Promise<CachedToken> {
    if (!this.tokens) throw new TacError('internal', 'an API token has no OAuth token');
    return this.tokens.fresh();
  }

  /**
   * POST {token URL}, form-encoded grant_type=client_credentials, scope, client_assertion_type
   * (jwt-bearer) and client_assertion (signed with the app's key: iss = sub = client id, aud = the
   * token URL, a new jti each time). An org requiring DPoP answers 400 invalid_dpop_proof (no proof)
   * or use_dpop_nonce with a DPoP-Nonce header: tac then sends a proof, with that nonce.
   */
  private async fetchToken(cred: Extract<Credential, { kind: 'private_key' }>): Promise<CachedToken> {
    const url = this.opts.tokenUrl;
    let nonce: string | undefined;
    for (let attempt = 1; ; attempt++) {
      // Made for each attempt (the transport sends a 429'd request again): an assertion's jti is single-use.
      const body = async () => new URLSearchParams({
        grant_type: 'client_credentials', scope: SCOPES.join(' '),
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await signClientAssertion(cred.key, { clientId: cred.clientId, audience: url, now: this.now(), keyId: cred.keyId }),
      }).toString();
      const headers = async () => ({
        'content-type': 'application/x-www-form-urlencoded', accept: 'application/json',
        ...(this.dpop ? { dpop: await (await this.dpop).proof('POST', url, { nonce, now: this.now() }) } : {}),
      });
      const res = await this.http.send('POST', url, { headers, body });
      const json = parseJson(res) as { access_token?: unknown; expires_in?: unknown; scope?: unknown; error?: unknown } | undefined;
      if (res.status === 200 && typeof json?.access_token === 'string') {
        const lifetime = typeof json.expires_in === 'number' ? json.expires_in * 1000 : 3_600_000;
        return { accessToken: json.access_token, expiresAt: this.now() + lifetime, scope: typeof json.scope === 'string' ? json.scope : '' };
      }
      const askedDpop = json?.error === 'use_dpop_nonce' || (json?.error === 'invalid_dpop_proof' && !this.dpop);
      if (res.status === 400 && askedDpop && attempt < 3) {
        this.dpop ??= DpopKey.create();
        nonce = header(res, 'dpop-nonce') ?? nonce;
        continue;
      }
      throw tokenError(res, url, cred.clientId, SCOPES);
    }
  }

  /**
   * A JSON call; undefined for 204. A 401 means nothing was done: a service app gets one new token
   * (or, with DPoP, the resource server's new nonce) and one more try. An API token is not renewable.
   */
  async call<T>(method: Method, path: string, what: string, body?: unknown, opts: CallOptions = {}): Promise<T> {
    const url = new URL(path.replace(/^\//, ''), `${this.location}/`).href;
    let res = await this.send(method, url, body);
    if (res.status === 401 && this.tokens) {
      if (!this.askedNonce(res)) await this.tokens.drop();
      res = await this.send(method, url, body);
    }
    if (isSuccess(res)) return successJson<T>(res, PROVIDER, what);
    throw apiError(res, what, `${PROVIDER} at ${this.location}`, this.credential.kind, opts);
  }

  private send(method: Method, url: string, body: unknown): Promise<HttpResponse> {
    const headers = async () => ({
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(await this.authorization(method, url)),
    });
    return this.http.send(method, url, { headers, body: body === undefined ? undefined : JSON.stringify(body) }).then((res) => {
      if (this.dpop) this.resourceNonce = header(res, 'dpop-nonce') ?? this.resourceNonce;
      return res;
    });
  }

  /** RFC 9449 §9: a resource server wanting a nonce answers 401 with `WWW-Authenticate: DPoP error="use_dpop_nonce"`. */
  private askedNonce(res: HttpResponse): boolean {
    return this.dpop !== undefined && /error="use_dpop_nonce"/.test(header(res, 'www-authenticate') ?? '') && header(res, 'dpop-nonce') !== undefined;
  }

  private async authorization(method: Method, url: string): Promise<Record<string, string>> {
    if (this.credential.kind === 'api_token') return { authorization: `SSWS ${this.credential.token}` };
    const token = await this.tokens!.get();
    if (!this.dpop) return { authorization: `Bearer ${token}` };
    const proof = await (await this.dpop).proof(method, url, { accessToken: token, nonce: this.resourceNonce, now: this.now() });
    return { authorization: `DPoP ${token}`, dpop: proof };
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
