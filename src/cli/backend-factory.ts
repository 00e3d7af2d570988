import { userInfo } from 'node:os';
import type { Backend } from '../backends/backend.js';
import { defaultDbPath, keyFilePath } from '../store/paths.js';
import type { CommandContext } from './context.js';

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
  const { LocalBackend } = await import('../backends/local.js');
  const dbPath = ctx.globals.db || defaultDbPath(ctx.env);
  return new LocalBackend({ dbPath, keyPath: keyFilePath(ctx.env), actor: localActor(ctx.env), clock: ctx.clock });
}
