import { TacError } from '../core/errors.js';
import type { AuditTrail } from './audit-trail.js';
import type { ConnectedBackend } from './backend.js';
import type { Timeouts } from './remote-http.js';
import type { TokenCache } from './token-cache.js';

/*
 * The identity providers tac can drive, by name. Kept apart from the provider modules so that
 * choosing one (a profile, TAC_PROVIDER) loads neither them nor undici. A provider is a folder
 * src/backends/<name>/ whose index.ts exports `open` (see ProviderModule); Okta and Entra slot in
 * here as siblings of mosaic.
 */

/** `tac` is tac's own server (tac serve); the others are identity providers. */
export const PROVIDERS = ['tac', 'mosaic'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export function checkProvider(field: string, value: string): ProviderName {
  const v = value.trim().toLowerCase();
  if ((PROVIDERS as readonly string[]).includes(v)) return v as ProviderName;
  throw new TacError('invalid_value', `${field}: "${value.slice(0, 40)}" is not a supported provider; use one of ${PROVIDERS.join(', ')}`, { field });
}

/** The provider's token endpoint when none is configured (TAC_TOKEN_URL, --token-url). */
export function defaultTokenUrl(provider: ProviderName, server: string): string | undefined {
  return provider === 'mosaic' ? `${server.replace(/\/$/, '')}/oidc/token` : undefined;
}

/** What the CLI hands a provider module: where, as whom, and its audit trail. */
export interface ProviderOptions {
  serverUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
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
};
