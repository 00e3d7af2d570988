import { displayDb } from '../../../store/postgres/pg.js';
import { keyFilePath } from '../../../store/paths.js';
import { connect, credentials, localActor } from '../../backend-factory.js';
import type { Handler } from '../../spec.js';
import { ENV_CREDENTIAL, resolveTarget } from '../../target.js';
import type { RemoteCredentials } from '../../remote-credentials.js';
import type { AuthMethod } from '../../../backends/providers.js';

/** Where the secret is kept: the environment, the keychain, the 0600 file, or the user's key file. */
function describeSource(source: RemoteCredentials['source'], auth: AuthMethod): string {
  if (source === 'environment') return `environment (${ENV_CREDENTIAL[auth]})`;
  if ('keyFile' in source) return `key file:${source.keyFile}`;
  return source.kind === 'keychain' ? 'keychain' : `file:${source.where}`;
}

export const run: Handler = async (ctx) => {
  const target = resolveTarget(ctx.globals, ctx.env);
  if (target.kind === 'local') {
    const info = { backend: 'local', profile: target.profile ?? null, database: displayDb(target.dbPath), keyFile: keyFilePath(ctx.env), actor: localActor(ctx.env), role: 'local (full access)' };
    if (ctx.globals.json) return ctx.json(info);
    return ctx.record([['backend', 'local database'], ['profile', info.profile], ['database', info.database], ['key file', info.keyFile], ['actor', info.actor], ['access', 'full (local)']]);
  }
  const creds = await credentials(ctx, target);
  const backend = await connect(ctx, target, creds);
  const who = await backend.identity().finally(() => backend.close());
  const secretStorage = describeSource(creds.source, target.auth);
  const info = {
    backend: 'remote', provider: who.provider, profile: target.profile ?? null, server: target.server, ...(target.tenant ? { tenant: target.tenant } : {}),
    clientId: who.clientId, agent: who.name, role: who.role,
    scopes: who.scopes, tokenExpiresAt: who.tokenExpiresAt, secretStorage,
  };
  if (ctx.globals.json) return ctx.json(info);
  ctx.record([
    ['provider', info.provider], ['server', info.server], ...(target.tenant ? [['tenant', target.tenant] as [string, string]] : []), ['profile', info.profile], ['agent', info.agent ? `${info.agent}${info.clientId ? ` (${info.clientId})` : ''}` : null],
    ['client id', info.clientId], ['role', info.role], ['scopes', info.scopes.join(' ')], ['token expires', info.tokenExpiresAt], ['secret kept in', secretStorage],
  ]);
};
