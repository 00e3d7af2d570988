import type { Backend, ConnectedBackend } from '../backends/backend.js';
import { clientSecretOf, PROVIDER_MODULES } from '../backends/providers.js';
import type { RemoteBackend } from '../backends/remote.js';
import type { TokenCache } from '../backends/token-cache.js';
import { unsupported } from '../backends/unsupported.js';
import { TacError } from '../core/errors.js';
import { localActor } from '../store/local-actor.js';
import { dataDir, keyFilePath } from '../store/paths.js';
import { join } from 'node:path';
import type { CommandContext } from './context.js';
import { ENV_CREDENTIAL, resolveTarget, type Target } from './target.js';
import type { RemoteCredentials } from './remote-credentials.js';

export { localActor };

type RemoteTarget = Extract<Target, { kind: 'remote' }>;
type Creds = Pick<RemoteCredentials, 'credential' | 'tokenCache'>;

/** Opens the backend the command runs against: the embedded SQLite database by default (or PostgreSQL by URL). */
export async function openBackend(ctx: CommandContext): Promise<Backend> {
  const target = resolveTarget(ctx.globals, ctx.env);
  if (target.kind === 'local') {
    const { openEngineBackend } = await import('../backends/open.js');
    return openEngineBackend({ dbPath: target.dbPath, keyPath: keyFilePath(ctx.env), actor: localActor(ctx.env), clock: ctx.clock });
  }
  return connect(ctx, target, await credentials(ctx, target));
}

/** Credentials from the environment (CI) or from the profile's stored secret; none is exit 4. */
export async function credentials(ctx: CommandContext, target: RemoteTarget) {
  const { remoteCredentials } = await import('./remote-credentials.js');
  const creds = await remoteCredentials(ctx, target);
  if (!creds) {
    const provider = target.provider === 'tac' ? '' : ` --provider ${target.provider}`;
    throw new TacError('unauthenticated', `not logged in to ${target.server}: run tac login${provider} --server ${target.server} (or set ${target.auth === 'api_token' ? '' : 'TAC_CLIENT_ID and '}${ENV_CREDENTIAL[target.auth]})`);
  }
  return creds;
}

/** tac serve only: agents and the audit export are its own. */
export async function openRemote(ctx: CommandContext, target: RemoteTarget): Promise<RemoteBackend> {
  if (target.provider !== 'tac') throw unsupported(target.provider, 'tac agents', 'tac agents', `create an app with client credentials in ${target.provider}'s console`);
  return remoteBackend(target, await credentials(ctx, target));
}

export async function remoteBackend(target: RemoteTarget, creds: Creds): Promise<RemoteBackend> {
  const { RemoteBackend } = await import('../backends/remote.js');
  const { clientId, secret } = clientSecretOf('tac serve', creds.credential);
  return new RemoteBackend({ serverUrl: target.server, clientId, clientSecret: secret, insecure: target.insecure, tokenCache: creds.tokenCache });
}

/**
 * tac serve or an identity provider, by the target's provider: the only place that tells them
 * apart. A provider's module (and undici) is loaded only here, when a command uses it.
 */
export async function connect(ctx: CommandContext, target: RemoteTarget, creds: Creds): Promise<ConnectedBackend> {
  if (target.provider === 'tac') return remoteBackend(target, creds);
  const [{ open }, { AuditTrail }] = await Promise.all([PROVIDER_MODULES[target.provider](), import('../backends/audit-trail.js')]);
  return open({
    serverUrl: target.server, tokenUrl: target.tokenUrl ?? missingTokenUrl(target), credential: creds.credential, ...(target.tenant ? { tenant: target.tenant } : {}), insecure: target.insecure,
    tokenCache: creds.tokenCache, requireAttestation: target.requireAttestation, audit: new AuditTrail(auditPath(ctx, target)), actor: localActor(ctx.env),
    onRateLimitWait: (s) => {
      if (ctx.io.stderr.isTTY) ctx.info(`${target.provider} is limiting requests; trying again in ${s} s…`);
    },
  });
}

/** Entra's token endpoint is named by the tenant: without one there is nowhere to sign in. */
function missingTokenUrl(target: RemoteTarget): never {
  throw new TacError('usage', `${target.provider} needs its tenant: set TAC_TENANT, or run tac login --provider ${target.provider} --tenant <id or domain> (or give --token-url)`);
}

/** tac's own trail of what it did on a provider: one file per profile (or per host without one). */
export function auditPath(ctx: CommandContext, target: RemoteTarget): string {
  const name = target.profile ?? new URL(target.server).host.replace(/[^A-Za-z0-9.-]/g, '_');
  return join(dataDir(ctx.env), `audit-${name}.jsonl`);
}
