import type { AgentView, CreatedAgent } from '../core/agents.js';
import type { Policy, PolicyPatch } from '../core/policy.js';
import { TacError } from '../core/errors.js';
import type {
  AuditEvent, GuestImportResult, GuestInput, IssuedTac, IssueInput, ListedTac, NewUserInput, OnExisting, PurgeResult, Tac, TacListQuery, User,
  UserDetails, UserImportResult, Verdict,
} from '../core/types.js';
import type { AuditFilter, ConnectedBackend, Identity, ImportRow } from './backend.js';
import { errorFromResponse, HttpTransport, parseJson, parseServerUrl, type HttpResponse, type Method, type Timeouts } from './remote-http.js';
import { MemoryTokenCache, type CachedToken, type TokenCache } from './token-cache.js';
import { TokenSource } from './token-source.js';

export interface RemoteOptions {
  /** e.g. https://tac.example.com (a path prefix is kept). */
  serverUrl: string;
  clientId: string;
  clientSecret: string;
  /** Allow plain http:// to a non-loopback host. Does not turn off TLS verification. */
  insecure?: boolean;
  timeouts?: Timeouts;
  /** Extra CA certificate(s) to trust, for a server with a private or self-signed certificate. */
  ca?: string | Buffer;
  /** Retries of GET/DELETE after a network error (default 2). POSTs are never retried. */
  retries?: number;
  /** Where tokens are kept between calls (in memory by default). */
  tokenCache?: TokenCache;
  /** Narrow the token to these scopes (space-separated); all of the agent's role by default. */
  scope?: string;
  now?: () => number;
}

export type { AgentView, CreatedAgent };

/** Who the server says we are (`GET /v1/whoami`). */
export interface Whoami {
  clientId: string;
  name: string;
  role: string;
  scopes: string[];
  tokenExpiresAt: string;
}

const query = (params: Record<string, string | number | boolean | undefined>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
};
const seg = encodeURIComponent;

/**
 * The Backend over HTTP to `tac serve`: the same methods, results and errors (code and message)
 * as LocalBackend, because the server runs the same core and maps errors through one table.
 */
export class RemoteBackend implements ConnectedBackend {
  readonly kind = 'remote' as const;
  readonly location: string;
  private readonly http: HttpTransport;
  private readonly tokens: TokenSource;
  private readonly now: () => number;

  constructor(private readonly opts: RemoteOptions) {
    const base = parseServerUrl(opts.serverUrl, Boolean(opts.insecure));
    this.http = new HttpTransport(base, { timeouts: opts.timeouts, ca: opts.ca, retries: opts.retries });
    this.location = this.http.location;
    this.now = opts.now ?? Date.now;
    const key = `${this.location}|${opts.clientId}|${opts.scope ?? ''}`;
    this.tokens = new TokenSource(opts.tokenCache ?? new MemoryTokenCache(), key, () => this.fetchToken(), this.now);
  }

  // ---- tokens ---------------------------------------------------------------------------------

  /** The client credentials grant (RFC 6749 §4.4), authenticating with HTTP Basic. */
  private async fetchToken(): Promise<CachedToken> {
    const form = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
    const basic = Buffer.from(`${form(this.opts.clientId)}:${form(this.opts.clientSecret)}`).toString('base64');
    const body = new URLSearchParams({ grant_type: 'client_credentials', ...(this.opts.scope ? { scope: this.opts.scope } : {}) }).toString();
    const res = await this.http.send('POST', 'oauth/token', {
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
    });
    const json = parseJson(res) as { access_token?: unknown; expires_in?: unknown; scope?: unknown; error?: unknown; error_description?: unknown } | undefined;
    if (res.status === 200 && json && typeof json.access_token === 'string') {
      const lifetime = typeof json.expires_in === 'number' ? json.expires_in * 1000 : 3_600_000;
      return { accessToken: json.access_token, expiresAt: this.now() + lifetime, scope: typeof json.scope === 'string' ? json.scope : '' };
    }
    throw this.tokenError(res, json);
  }

  private tokenError(res: HttpResponse, json: { error?: unknown; error_description?: unknown } | undefined): TacError {
    const why = typeof json?.error_description === 'string' ? `: ${json.error_description}` : '';
    if (res.status === 429) {
      const after = res.headers['retry-after'];
      return new TacError('rate_limited', `too many failed sign-ins to ${this.location}; retry in ${Array.isArray(after) ? after[0] : after ?? 'a few'} seconds`);
    }
    // The server's database is away (a 503, not a refusal of these credentials): exit 7, as for any other request then.
    if (res.status === 503 && json?.error === 'temporarily_unavailable') {
      return new TacError('unavailable', `${this.location} cannot issue a token now${why}`);
    }
    if (json?.error === 'invalid_client') {
      return new TacError('unauthenticated', `the server at ${this.location} rejected client ${this.opts.clientId}${why}; run tac login with a valid client id and secret`);
    }
    if (typeof json?.error === 'string') {
      return new TacError(json.error === 'invalid_scope' ? 'forbidden' : 'unauthenticated', `token request refused by ${this.location} (${json.error}${why})`);
    }
    return errorFromResponse(res, this.location);
  }

  // ---- requests -------------------------------------------------------------------------------

  /** Sends with a bearer token; on 401 gets a fresh token once and tries again (the server did nothing). */
  private async call<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const res = await this.authed(method, path, body);
    if (res.status >= 200 && res.status < 300) return (res.contentType.startsWith('application/json') ? JSON.parse(res.text) : res.text) as T;
    throw errorFromResponse(res, this.location);
  }

  private async authed(method: Method, path: string, body?: unknown): Promise<HttpResponse> {
    const send = (token: string) => this.http.send(method, path, {
      headers: {
        authorization: `Bearer ${token}`, accept: 'application/json, application/problem+json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const res = await send(await this.tokens.get());
    if (res.status !== 401) return res;
    await this.tokens.drop();
    return send(await this.tokens.get());
  }

  // ---- Backend --------------------------------------------------------------------------------

  addUser(input: NewUserInput) { return this.call<User>('POST', 'v1/users', input); }
  importUsers(rows: ImportRow<NewUserInput>[], onExisting: 'fail' | 'skip') {
    return this.call<UserImportResult[]>('POST', 'v1/users/import', { rows, onExisting });
  }
  existingEmails(emails: string[]) {
    return this.call<{ email: string; guest: boolean; username: string }[]>('POST', 'v1/users/existing', { emails });
  }
  searchUsers(q: string, opts: { guestsOnly?: boolean; limit?: number } = {}) {
    return this.call<User[]>('GET', `v1/users${query({ q, guests: opts.guestsOnly, limit: opts.limit })}`);
  }
  showUser(ref: string) { return this.call<UserDetails>('GET', `v1/users/${seg(ref)}`); }
  unlockUser(ref: string) { return this.call<User>('POST', `v1/users/${seg(ref)}/unlock`); }
  setUserDisabled(ref: string, disabled: boolean) { return this.call<User>('POST', `v1/users/${seg(ref)}/${disabled ? 'disable' : 'enable'}`); }
  deleteUser(ref: string) { return this.call<User>('DELETE', `v1/users/${seg(ref)}`); }

  issueTac(input: IssueInput) { return this.call<IssuedTac>('POST', 'v1/tacs', input); }
  listTacs(q: TacListQuery) { return this.call<ListedTac[]>('GET', `v1/tacs${query({ user: q.user, status: q.status, limit: q.limit })}`); }
  revokeTac(id: string) { return this.call<{ tac: Tac; changed: boolean }>('DELETE', `v1/tacs/${seg(id)}`); }
  revokeUserTacs(ref: string) { return this.call<Tac[]>('DELETE', `v1/users/${seg(ref)}/tacs`); }
  verify(ref: string, code: string) { return this.call<Verdict>('POST', 'v1/tacs/verify', { user: ref, code }); }

  getPolicy() { return this.call<Policy>('GET', 'v1/policy'); }
  updatePolicy(patch: PolicyPatch) { return this.call<Policy>('PATCH', 'v1/policy', patch); }
  replacePolicy(policy: unknown) { return this.call<Policy>('PUT', 'v1/policy', policy); }
  resetPolicy() { return this.call<Policy>('POST', 'v1/policy/reset'); }

  createGuest(input: GuestInput) { return this.call<IssuedTac>('POST', 'v1/guests', input); }
  importGuests(rows: ImportRow<GuestInput>[], onExisting: OnExisting) {
    return this.call<GuestImportResult[]>('POST', 'v1/guests/import', { rows, onExisting });
  }

  queryAudit(q: AuditFilter) {
    return this.call<AuditEvent[]>('GET', `v1/audit${query({ user: q.user, action: q.action, since: q.since, limit: q.limit })}`);
  }
  purge(dryRun: boolean) { return this.call<PurgeResult>('POST', 'v1/purge', { dryRun }); }

  // ---- server-only --------------------------------------------------------------------------

  whoami() { return this.call<Whoami>('GET', 'v1/whoami'); }
  async identity(): Promise<Identity> { return { provider: 'tac', ...(await this.whoami()) }; }
  listAgents(opts: { includeRevoked?: boolean } = {}) { return this.call<AgentView[]>('GET', `v1/agents${query({ revoked: opts.includeRevoked })}`); }
  createAgent(name: string, role: string) { return this.call<CreatedAgent>('POST', 'v1/agents', { name, role }); }
  revokeAgent(clientId: string) { return this.call<{ agent: AgentView; changed: boolean }>('DELETE', `v1/agents/${seg(clientId)}`); }
  /** The audit trail as JSON Lines text. */
  exportAudit(q: AuditFilter = {}) {
    return this.call<string>('GET', `v1/audit/export${query({ user: q.user, action: q.action, since: q.since, limit: q.limit })}`);
  }

  async close() {
    await this.http.close();
  }
}
