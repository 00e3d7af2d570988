import { userInfo } from 'node:os';
import type { Backend } from '../backends/backend.js';
import { TacError } from '../core/errors.js';
import { keyFilePath } from '../store/paths.js';
import type { CommandContext } from './context.js';
import { resolveTarget, type Target } from './target.js';

/** The OS user is the actor of local changes in the audit log. */
export function localActor(env: Record<string, string | undefined>): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER || env.USERNAME || 'unknown';
  }
}

/** Opens the backend the command runs against: the embedded SQLite database by default. */
export async function openBackend(ctx: CommandContext): Promise<Backend> {
  const target = resolveTarget(ctx.globals, ctx.env);
  if (target.kind === 'local') {
    const { LocalBackend } = await import('../backends/local.js');
    return new LocalBackend({ dbPath: target.dbPath, keyPath: keyFilePath(ctx.env), actor: localActor(ctx.env), clock: ctx.clock });
  }
  return openRemote(ctx, target);
}

/** Remote backends arrive with the server; until then a remote target is refused clearly. */
async function openRemote(_ctx: CommandContext, target: Extract<Target, { kind: 'remote' }>): Promise<Backend> {
  throw new TacError('unreachable', `remote servers are not supported by this build (${target.server})`);
}
