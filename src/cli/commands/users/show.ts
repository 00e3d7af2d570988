import type { Handler } from '../../spec.js';
import { expiresText, lockedUntilText, userState, userType } from '../../present.js';

export const run: Handler = async (ctx, { args }) => {
  const u = await (await ctx.backend()).showUser(args[0]!);
  if (ctx.globals.json) return ctx.json(u);
  const now = ctx.clock.now();
  const t = u.currentTac;
  ctx.record([
    ['id', u.id],
    ['username', u.username],
    ['name', u.name],
    ['email', u.email],
    ['phone', u.phone],
    ['type', userType(u)],
    ['state', userState(u, now)],
    ['failed attempts', u.failedAttempts === null ? null : `${u.failedAttempts} (${u.consecutiveFailures} since the last unlock or one-time sign-in)`],
    ['locked until', u.locked ? lockedUntilText(u.lockedUntil!, now) : ''],
    ['tac', t ? `${t.id} ${t.status}` : 'none'],
    ['tac expires', t ? expiresText(t.expiresAt, now) : ''],
    ['created', u.createdAt],
  ]);
};
