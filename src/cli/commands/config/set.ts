import { resolve } from 'node:path';
import { checkProfileName, currentProfileName, openConfigWriter, readConfig, type Profile } from '../../../config/profiles.js';
import { invalid } from '../../../core/errors.js';
import { configDir } from '../../../store/paths.js';
import type { Handler } from '../../spec.js';
import { parseServerUrl } from '../../../backends/server-url.js';
import { CONFIG_KEYS } from './spec.js';

export const run: Handler = async (ctx, { args }) => {
  const [key, value] = [args[0]!, args[1]!];
  if (!(CONFIG_KEYS as readonly string[]).includes(key)) throw invalid('key', `"${key}" is not a setting; use one of ${CONFIG_KEYS.join(', ')}`);
  const dir = configDir(ctx.env);
  const name = checkProfileName(currentProfileName(readConfig(dir), ctx.globals.profile, ctx.env));
  const conf = await openConfigWriter(dir);
  if (key === 'current-profile') {
    checkProfileName(value);
    if (!conf.get('profiles')?.[value]) throw invalid('value', `profile "${value}" does not exist (tac config list)`);
    conf.set('currentProfile', value);
    if (ctx.globals.json) return ctx.json({ currentProfile: value });
    return ctx.success(`Current profile: ${value}.`);
  }
  const before = conf.get('profiles')?.[name];
  let next: Profile;
  if (key === 'db') next = { type: 'local', db: resolve(value) };
  else if (key === 'server') {
    const insecure = before?.type === 'remote' && Boolean(before.insecure);
    const prev = before?.type === 'remote' ? before : undefined;
    next = {
      type: 'remote', server: parseServerUrl(value, insecure || Boolean(ctx.globals.insecure)).href.replace(/\/$/, ''), clientId: prev?.clientId ?? '', insecure: insecure || Boolean(ctx.globals.insecure),
      // The provider and attestation setting stay; a token URL belonged to the old server.
      ...(prev?.provider ? { provider: prev.provider } : {}), ...(prev?.requireAttestation === false ? { requireAttestation: false } : {}),
    };
  } else {
    if (before?.type !== 'remote') throw invalid('key', `${key} applies to a remote profile; set server first`);
    if (key === 'client-id') next = { ...before, clientId: value };
    else if (value !== 'true' && value !== 'false') throw invalid('value', `${key} must be true or false`);
    else if (key === 'require-attestation') next = { ...before, requireAttestation: value === 'true' };
    else next = { ...before, insecure: value === 'true' };
  }
  conf.set(`profiles.${name}`, next);
  if (!conf.get('currentProfile')) conf.set('currentProfile', name);
  if (ctx.globals.json) return ctx.json({ profile: name, ...next });
  ctx.success(`Profile ${name}: ${key} = ${key === 'db' && next.type === 'local' ? next.db : value}.`);
};
