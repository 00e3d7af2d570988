import { checkProvider, defaultTokenUrl, type ProviderName } from '../backends/providers.js';
import { TacError } from '../core/errors.js';
import { currentProfileName, readConfig, type Profile } from '../config/profiles.js';
import { configDir, dataDir } from '../store/paths.js';
import { join } from 'node:path';
import type { Env, Globals } from './context.js';

/** Where a command runs: the embedded database, or a server as an agent. */
export type Target =
  | { kind: 'local'; dbPath: string; profile?: string }
  | {
    kind: 'remote'; server: string; clientId?: string; envSecret?: string; insecure: boolean; profile?: string;
    /** What answers at `server`: tac serve, or an identity provider. */
    provider: ProviderName;
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
    const tokenUrl = env.TAC_TOKEN_URL || p?.tokenUrl || defaultTokenUrl(provider, server);
    return {
      kind: 'remote', server, clientId: env.TAC_CLIENT_ID || p?.clientId, envSecret: env.TAC_CLIENT_SECRET, provider,
      ...(tokenUrl ? { tokenUrl } : {}), requireAttestation: p?.requireAttestation !== false, ...extra,
    };
  };

  if (globals.db && globals.server) throw new TacError('usage', '--db and --server cannot be used together');
  if (globals.db) return { kind: 'local', dbPath: globals.db };
  if (globals.server) {
    const p = fromProfile(globals.server);
    return remote(globals.server, p, { insecure: insecure || Boolean(p?.insecure), profile: p ? profileName : undefined });
  }
  if (env.TAC_SERVER) return remote(env.TAC_SERVER, fromProfile(env.TAC_SERVER), { insecure });
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
