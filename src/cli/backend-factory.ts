import type { Backend } from '../backends/backend.js';
import type { RemoteBackend } from '../backends/remote.js';
import type { TokenCache } from '../backends/token-cache.js';
import { TacError } from '../core/errors.js';
import { localActor } from '../store/local-actor.js';
import { keyFilePath } from '../store/paths.js';
import type { CommandContext } from './context.js';
import { resolveTarget, type Target } from './target.js';

export { localActor };

/** Opens the backend the command runs against: the embedded SQLite database by default. */
export async function openBackend(ctx: CommandContext): Promise<Backend> {
  const target = resolveTarget(ctx.globals, ctx.env);
  if (target.kind === 'local') {
    const { LocalBackend } = await import('../backends/local.js');
    return new LocalBackend({ dbPath: target.dbPath, keyPath: keyFilePath(ctx.env), actor: localActor(ctx.env), clock: ctx.clock });
  }
  return openRemote(ctx, target);
}

/** Remote: credentials from the environment (CI) or from the profile's stored secret. */
export async function openRemote(ctx: CommandContext, target: Extract<Target, { kind: 'remote' }>): Promise<RemoteBackend> {
  const { remoteCredentials } = await import('./remote-credentials.js');
  const creds = await remoteCredentials(ctx, target);
  if (!creds) {
    throw new TacError('unauthenticated', `not logged in to ${target.server}: run tac login --server ${target.server} (or set TAC_CLIENT_ID and TAC_CLIENT_SECRET)`);
  }
  return remoteBackend(target, creds);
}

export async function remoteBackend(target: Extract<Target, { kind: 'remote' }>, creds: { clientId: string; clientSecret: string; tokenCache?: TokenCache }): Promise<RemoteBackend> {
  const { RemoteBackend } = await import('../backends/remote.js');
  return new RemoteBackend({ serverUrl: target.server, clientId: creds.clientId, clientSecret: creds.clientSecret, insecure: target.insecure, tokenCache: creds.tokenCache });
}
