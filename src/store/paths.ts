import { homedir } from 'node:os';
import { join } from 'node:path';

type Env = Record<string, string | undefined>;

/** Where tac keeps data (the database): $XDG_DATA_HOME/tac, else the platform's data dir. */
export function dataDir(env: Env = process.env): string {
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, 'tac');
  const home = env.HOME || homedir();
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'tac');
  if (process.platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'tac');
  return join(home, '.local', 'share', 'tac');
}

/** Where tac keeps configuration (hashing key, profiles): $XDG_CONFIG_HOME/tac, else the platform's config dir. */
export function configDir(env: Env = process.env): string {
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'tac');
  const home = env.HOME || homedir();
  if (process.platform === 'darwin') return join(home, 'Library', 'Preferences', 'tac');
  if (process.platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'tac');
  return join(home, '.config', 'tac');
}

export const defaultDbPath = (env: Env = process.env): string => env.TAC_DB || join(dataDir(env), 'tac.db');

export const keyFilePath = (env: Env = process.env): string => env.TAC_KEY_FILE || join(configDir(env), 'hmac.key');
