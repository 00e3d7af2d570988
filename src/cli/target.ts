import { TacError } from '../core/errors.js';
import { currentProfileName, readConfig, type Profile } from '../config/profiles.js';
import { configDir, dataDir } from '../store/paths.js';
import { join } from 'node:path';
import type { Env, Globals } from './context.js';

/** Where a command runs: the embedded database, or a server as an agent. */
export type Target =
  | { kind: 'local'; dbPath: string; profile?: string }
  | { kind: 'remote'; server: string; clientId?: string; envSecret?: string; insecure: boolean; profile?: string };

/**
 * Precedence, highest first: --db / --server flags; TAC_SERVER (+ TAC_CLIENT_ID/SECRET, for CI
 * without login) or TAC_DB; the profile (--profile, TAC_PROFILE, or the current one); the default
 * database in the data dir.
 */
export function resolveTarget(globals: Globals, env: Env): Target {
  const cfg = readConfig(configDir(env));
  const profileName = currentProfileName(cfg, globals.profile, env);
  const profile: Profile | undefined = cfg.profiles?.[profileName];
  const insecure = Boolean(globals.insecure);
  const fromProfile = (server: string) => (profile?.type === 'remote' && profile.server === server ? profile : undefined);

  if (globals.db && globals.server) throw new TacError('usage', '--db and --server cannot be used together');
  if (globals.db) return { kind: 'local', dbPath: globals.db };
  if (globals.server) {
    const p = fromProfile(globals.server);
    return { kind: 'remote', server: globals.server, clientId: env.TAC_CLIENT_ID || p?.clientId, envSecret: env.TAC_CLIENT_SECRET, insecure: insecure || Boolean(p?.insecure), profile: p ? profileName : undefined };
  }
  if (env.TAC_SERVER) {
    return { kind: 'remote', server: env.TAC_SERVER, clientId: env.TAC_CLIENT_ID || fromProfile(env.TAC_SERVER)?.clientId, envSecret: env.TAC_CLIENT_SECRET, insecure };
  }
  if (env.TAC_DB) return { kind: 'local', dbPath: env.TAC_DB };
  if (profile?.type === 'remote') {
    // CI credentials in the environment take precedence over the profile's stored login.
    return { kind: 'remote', server: profile.server, clientId: env.TAC_CLIENT_ID || profile.clientId, envSecret: env.TAC_CLIENT_SECRET, insecure: insecure || Boolean(profile.insecure), profile: profileName };
  }
  if (profile?.type === 'local' && profile.db) return { kind: 'local', dbPath: profile.db, profile: profileName };
  if (!profile && (globals.profile || env.TAC_PROFILE)) {
    throw new TacError('not_found', `profile "${profileName}" not found (tac config list shows the profiles)`);
  }
  return { kind: 'local', dbPath: join(dataDir(env), 'tac.db'), profile: profile ? profileName : undefined };
}
