import { TacError } from '../core/errors.js';
import type { AuditTrail } from './audit-trail.js';
import type { ConnectedBackend } from './backend.js';
import type { SigningKey } from './client-assertion.js';
import type { Timeouts } from './remote-http.js';
import type { TokenCache } from './token-cache.js';

/*
 * The identity providers tac can drive, by name. Kept apart from the provider modules so that
 * choosing one (a profile, TAC_PROVIDER) loads neither them nor undici. A provider is a folder
 * src/backends/<name>/ whose index.ts exports `open` (see ProviderModule).
 */

/** `tac` is tac's own server (tac serve); the others are identity providers. */
export const PROVIDERS = ['tac', 'mosaic', 'okta', 'entra'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** How an app proves who it is: a client secret, an API token (Okta's SSWS), or a private key. */
export type AuthMethod = 'client_secret' | 'api_token' | 'private_key';

/**
 * What each provider accepts, preferred first. Okta refuses client secrets for its management
 * scopes; Entra takes a secret or a certificate; Mosaic and tac serve take a secret.
 */
export const AUTH_METHODS: Record<string, readonly AuthMethod[]> = {
  tac: ['client_secret'],
  mosaic: ['client_secret'],
  okta: ['api_token', 'private_key'],
  entra: ['client_secret', 'private_key'],
};

/** The credential a provider module signs in with; the secret parts are held in memory only. */
export type ProviderCredential =
  | { kind: 'client_secret'; clientId: string; secret: string }
  | { kind: 'api_token'; token: string }
  | { kind: 'private_key'; clientId: string; key: SigningKey; keyId?: string };

export function checkProvider(field: string, value: string): ProviderName {
  const v = value.trim().toLowerCase();
  if ((PROVIDERS as readonly string[]).includes(v)) return v as ProviderName;
  throw new TacError('invalid_value', `${field}: "${value.slice(0, 40)}" is not a supported provider; use one of ${PROVIDERS.join(', ')}`, { field });
}

/** A directory (tenant) id: a GUID, or a verified domain such as contoso.onmicrosoft.com. */
const TENANT_RE = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+)$/i;

export function checkTenant(field: string, value: string): string {
  const v = value.trim();
  if (TENANT_RE.test(v)) return v;
  throw new TacError('invalid_value', `${field}: "${value.slice(0, 60)}" is not a tenant; use the directory (tenant) id, a GUID, or a domain such as contoso.onmicrosoft.com`, { field });
}

/** Where the provider answers when no --server / TAC_SERVER is given. */
export function defaultServer(provider: ProviderName): string | undefined {
  return (provider as string) === 'entra' ? 'https://graph.microsoft.com' : undefined;
}

/** The provider's token endpoint when none is configured (TAC_TOKEN_URL, --token-url). */
export function defaultTokenUrl(provider: ProviderName, server: string, tenant?: string): string | undefined {
  const base = server.replace(/\/$/, '');
  switch (provider as string) {
    case 'mosaic': return `${base}/oidc/token`;
    case 'okta': return `${base}/oauth2/v1/token`;
    case 'entra': return tenant ? `https://login.microsoftonline.com/${encodeURIComponent(tenant)}/oauth2/v2.0/token` : undefined;
    default: return undefined;
  }
}

/** What the CLI hands a provider module: where, as whom, and its audit trail. */
export interface ProviderOptions {
  serverUrl: string;
  tokenUrl: string;
  credential: ProviderCredential;
  /** Entra's directory (tenant) id or domain. */
  tenant?: string;
  insecure: boolean;
  tokenCache?: TokenCache;
  requireAttestation: boolean;
  audit: AuditTrail;
  /** Who is at the desk (the OS user), for the audit trail. */
  actor: string;
  /** Told before waiting out a rate limit, to say so on a terminal. */
  onRateLimitWait?: (seconds: number) => void;
  timeouts?: Timeouts;
  now?: () => number;
}

export interface ProviderModule {
  open(opts: ProviderOptions): ConnectedBackend;
}

/** Loaded only when a command runs against that provider. */
export const PROVIDER_MODULES: Record<Exclude<ProviderName, 'tac'>, () => Promise<ProviderModule>> = {
  mosaic: () => import('./mosaic/index.js'),
  okta: () => import('./okta/index.js'),
  entra: () => import('./entra/index.js'),
};

/** The client id a credential acts as; an API token has none of its own. */
export function credentialClientId(c: ProviderCredential): string | null {
  return c.kind === 'api_token' ? null : c.clientId;
}

/** The client secret, for providers that take only that (Mosaic, tac serve). */
export function clientSecretOf(provider: string, c: ProviderCredential): { clientId: string; secret: string } {
  if (c.kind === 'client_secret') return c;
  throw new TacError('usage', `${provider} takes a client id and secret, not ${c.kind === 'api_token' ? 'an API token' : 'a private key'}`);
}
