import { AUTH_METHODS, checkProvider, checkTenant, defaultServer, defaultTokenUrl, type AuthMethod, type ProviderName } from '../backends/providers.js';
import { TacError } from '../core/errors.js';
import { currentProfileName, readConfig, type Profile } from '../config/profiles.js';
import { configDir, dataDir } from '../store/paths.js';
import { join } from 'node:path';
import type { Env, Globals } from './context.js';

/** Where a command runs: the embedded database, or a server as an agent. */
export type Target =
  | { kind: 'local'; dbPath: string; profile?: string }
  | {
    kind: 'remote'; server: string; clientId?: string; insecure: boolean; profile?: string;
    /** What answers at `server`: tac serve, or an identity provider. */
    provider: ProviderName;
    /** How the app signs in; from the environment when it sets a credential, else the profile. */
    auth: AuthMethod;
    /** The secret from the environment (TAC_CLIENT_SECRET or TAC_API_TOKEN, by `auth`): no store is read. */
    envSecret?: string;
    /** `auth: private_key`: the PEM file (TAC_PRIVATE_KEY_FILE or the profile's), and Okta's key id. */
    privateKeyFile?: string;
    keyId?: string;
    /** Entra's directory (TAC_TENANT or the profile's). */
    tenant?: string;
    /** The provider's token endpoint (providers only). */
    tokenUrl?: string;
    /** Issuing needs --verified-by (providers; tac serve applies its own policy). */
    requireAttestation: boolean;
  };

type RemoteTarget = Extract<Target, { kind: 'remote' }>;

/**
 * Precedence, highest first: --db / --server flags; TAC_SERVER (+ TAC_PROVIDER, TAC_TOKEN_URL,
 * TAC_CLIENT_ID/SECRET, for CI without login) or TAC_DB; the profile (--profile, TAC_PROFILE, or the current one); the default
 * database in the data dir.
 */
export function resolveTarget(globals: Globals, env: Env): Target {
  const cfg = readConfig(configDir(env));
  const profileName = currentProfileName(cfg, globals.profile, env);
  const profile: Profile | undefined = cfg.profiles?.[profileName];
  const insecure = Boolean(globals.insecure);
  const fromProfile = (server: string) => (profile?.type === 'remote' && profile.server === server ? profile : undefined);
  const envProvider = env.TAC_PROVIDER ? checkProvider('TAC_PROVIDER', env.TAC_PROVIDER) : undefined;
  /** CI variables over the profile's settings, as for the credentials. */
  const remote = (server: string, p: Extract<Profile, { type: 'remote' }> | undefined, extra: { insecure: boolean; profile?: string }): RemoteTarget => {
    const provider = envProvider ?? p?.provider ?? 'tac';
    const tenant = env.TAC_TENANT ? checkTenant('TAC_TENANT', env.TAC_TENANT) : p?.tenant;
    const tokenUrl = env.TAC_TOKEN_URL || p?.tokenUrl || defaultTokenUrl(provider, server, tenant);
    const keyId = env.TAC_KEY_ID || p?.keyId;
    return {
      kind: 'remote', server, clientId: env.TAC_CLIENT_ID || p?.clientId || undefined, provider, ...chooseAuth(provider, env, p),
      ...(tokenUrl ? { tokenUrl } : {}), ...(tenant ? { tenant } : {}), ...(keyId ? { keyId } : {}), requireAttestation: p?.requireAttestation !== false, ...extra,
    };
  };

  if (globals.db && globals.server) throw new TacError('usage', '--db and --server cannot be used together');
  if (globals.db) return { kind: 'local', dbPath: globals.db };
  if (globals.server) {
    const p = fromProfile(globals.server);
    return remote(globals.server, p, { insecure: insecure || Boolean(p?.insecure), profile: p ? profileName : undefined });
  }
  if (env.TAC_SERVER) return remote(env.TAC_SERVER, fromProfile(env.TAC_SERVER), { insecure });
  // Entra's Graph has one address: TAC_PROVIDER=entra needs no TAC_SERVER.
  const implied = envProvider && profile?.type !== 'remote' ? defaultServer(envProvider) : undefined;
  if (implied) return remote(implied, undefined, { insecure });
  if (env.TAC_DB) return { kind: 'local', dbPath: env.TAC_DB };
  // CI credentials in the environment take precedence over the profile's stored login.
  if (profile?.type === 'remote') return remote(profile.server, profile, { insecure: insecure || Boolean(profile.insecure), profile: profileName });
  if (envProvider && envProvider !== 'tac') throw new TacError('usage', `TAC_PROVIDER=${envProvider} needs TAC_SERVER (the provider's base URL) or a profile made by tac login --provider ${envProvider}`);
  if (profile?.type === 'local' && profile.db) return { kind: 'local', dbPath: profile.db, profile: profileName };
  if (!profile && (globals.profile || env.TAC_PROFILE)) {
    throw new TacError('not_found', `profile "${profileName}" not found (tac config list shows the profiles)`);
  }
  return { kind: 'local', dbPath: join(dataDir(env), 'tac.db'), profile: profile ? profileName : undefined };
}

/** The variable that carries each kind of credential in CI. */
export const ENV_CREDENTIAL: Record<AuthMethod, string> = { api_token: 'TAC_API_TOKEN', private_key: 'TAC_PRIVATE_KEY_FILE', client_secret: 'TAC_CLIENT_SECRET' };

/**
 * The credential the environment sets wins over the profile's login (CI), taking the provider's
 * preferred kind when several are set; one the provider cannot use is refused in one line rather
 * than ignored (Okta refuses client secrets for its management scopes).
 */
function chooseAuth(provider: ProviderName, env: Env, p: Extract<Profile, { type: 'remote' }> | undefined): Pick<RemoteTarget, 'auth' | 'envSecret' | 'privateKeyFile'> {
  const accepted = AUTH_METHODS[provider] ?? ['client_secret'];
  const set = (Object.keys(ENV_CREDENTIAL) as AuthMethod[]).filter((m) => env[ENV_CREDENTIAL[m]]);
  const auth = accepted.find((m) => set.includes(m));
  if (auth === 'private_key') return { auth, privateKeyFile: env.TAC_PRIVATE_KEY_FILE };
  if (auth) return { auth, envSecret: env[ENV_CREDENTIAL[auth]] };
  if (set.length && !p) {
    const wanted = accepted.map((m) => ENV_CREDENTIAL[m]).join(' or ');
    throw new TacError('usage', `${provider} does not take ${set.map((m) => ENV_CREDENTIAL[m]).join(' or ')}; set ${wanted}`);
  }
  const stored = p?.auth ?? 'client_secret';
  return { auth: stored, ...(stored === 'private_key' && p?.privateKeyFile ? { privateKeyFile: p.privateKeyFile } : {}) };
}
