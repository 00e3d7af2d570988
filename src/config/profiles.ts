import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalid } from '../core/errors.js';
import { importModule } from '../import-module.js';
import type { AuthMethod, ProviderName } from '../backends/providers.js';

/**
 * A profile says where commands run: a local database, or a server with the client id that acts
 * there. `provider` names what answers at `server` (tac serve when absent, or an identity provider);
 * `tokenUrl` overrides the provider's token endpoint; `requireAttestation: false` lets a provider
 * profile issue codes without --verified-by (tac serve applies its own policy instead).
 * `auth` says how the app signs in (a client secret when absent); a private key stays in the
 * user's own file (`privateKeyFile`), an API token or secret in the keychain, never here.
 */
export type Profile =
  | { type: 'local'; db?: string }
  | {
    type: 'remote'; server: string; clientId: string; insecure?: boolean; provider?: ProviderName; tokenUrl?: string; requireAttestation?: boolean;
    auth?: AuthMethod; privateKeyFile?: string; keyId?: string; tenant?: string;
  };

export interface ConfigFile {
  currentProfile?: string;
  profiles?: Record<string, Profile>;
}

export const CONFIG_NAME = 'config';
export const configFile = (dir: string): string => join(dir, `${CONFIG_NAME}.json`);
const PROFILE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkProfileName(name: string): string {
  if (!PROFILE_NAME_RE.test(name)) throw invalid('--profile', 'must be 1 to 64 letters, digits and . _ - (starting with a letter or digit)');
  return name;
}

/**
 * Reads the profiles file directly: every command needs it to pick a backend, and loading
 * `conf` (used for writing, with its schema and atomic writes) costs more than the command.
 */
export function readConfig(dir: string): ConfigFile {
  try {
    const json = JSON.parse(readFileSync(configFile(dir), 'utf8')) as ConfigFile;
    return typeof json === 'object' && json !== null ? json : {};
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw invalid('config', `${configFile(dir)} is not valid JSON; fix or remove it`);
  }
}

/** `conf` is loaded only by the commands that change the configuration. */
export async function openConfigWriter(dir: string) {
  const { default: Conf } = await importModule<typeof import('conf')>('conf');
  return new Conf<ConfigFile>({
    cwd: dir,
    configName: CONFIG_NAME,
    projectName: 'tac',
    configFileMode: 0o600,
    defaults: { profiles: {} },
  });
}

export function currentProfileName(cfg: ConfigFile, flag: string | undefined, env: Record<string, string | undefined>): string {
  return flag || env.TAC_PROFILE || cfg.currentProfile || 'default';
}
