import { currentProfileName, readConfig } from '../../../config/profiles.js';
import { configDir } from '../../../store/paths.js';
import type { TableSpec } from '../../../output/fit.js';
import type { Handler } from '../../spec.js';

/** The current-profile mark and the name first; a long path or URL is cut before TYPE goes. */
export const PROFILE_TABLE: TableSpec = {
  headers: ['', 'PROFILE', 'TYPE', 'LOCATION', 'CLIENT ID'],
  priority: ['', 'PROFILE', 'TYPE', 'LOCATION', 'CLIENT ID'],
  shrink: { PROFILE: 12, LOCATION: 20 },
};

export const run: Handler = async (ctx) => {
  const cfg = readConfig(configDir(ctx.env));
  const current = currentProfileName(cfg, ctx.globals.profile, ctx.env);
  const profiles = Object.entries(cfg.profiles ?? {}).map(([name, p]) => ({
    name,
    current: name === current,
    type: p.type,
    provider: p.type === 'remote' ? p.provider ?? 'tac' : null,
    location: p.type === 'remote' ? p.server : (p.db ?? '(default database)'),
    clientId: p.type === 'remote' ? p.clientId : null,
  }));
  if (ctx.globals.json) return ctx.json({ currentProfile: current, profiles });
  ctx.table(PROFILE_TABLE, profiles.map((p) => [p.current ? '*' : '', p.name, p.provider && p.provider !== 'tac' ? p.provider : p.type, p.location, p.clientId]));
  if (ctx.tty && profiles.length === 0) ctx.info('No profiles yet: commands use the local database. Create one with tac login or tac config set.');
};
