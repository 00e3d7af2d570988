import { currentProfileName, readConfig } from '../../../config/profiles.js';
import { invalid } from '../../../core/errors.js';
import { configDir } from '../../../store/paths.js';
import type { Handler } from '../../spec.js';
import { CONFIG_KEYS } from './spec.js';

export const run: Handler = async (ctx, { args }) => {
  const key = args[0]!;
  if (!(CONFIG_KEYS as readonly string[]).includes(key)) throw invalid('key', `"${key}" is not a setting; use one of ${CONFIG_KEYS.join(', ')}`);
  const cfg = readConfig(configDir(ctx.env));
  const name = currentProfileName(cfg, ctx.globals.profile, ctx.env);
  const p = cfg.profiles?.[name];
  const value: unknown =
    key === 'current-profile' ? name
    : key === 'server' ? (p?.type === 'remote' ? p.server : undefined)
    : key === 'client-id' ? (p?.type === 'remote' ? p.clientId : undefined)
    : key === 'db' ? (p?.type === 'local' ? p.db : undefined)
    : key === 'require-attestation' ? (p?.type === 'remote' ? p.requireAttestation !== false : undefined)
    : p?.type === 'remote' ? Boolean(p.insecure) : undefined;
  if (ctx.globals.json) return ctx.json({ profile: name, key, value: value ?? null });
  if (value === undefined) return 3;
  ctx.print(`${String(value)}\n`);
};
