import type { Handler } from '../../spec.js';
import { printUser } from '../../present.js';

export const run: Handler = async (ctx, { args }) => {
  const user = await (await ctx.backend()).unlockUser(args[0]!);
  printUser(ctx, user);
  if (!ctx.globals.json) ctx.success(`Unlocked ${user.username}: failed attempts cleared.`);
};
