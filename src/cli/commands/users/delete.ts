import type { Handler } from '../../spec.js';
import { confirmOrYes } from '../../interactive.js';
import { printUser } from '../../present.js';

export const run: Handler = async (ctx, { args, opts }) => {
  await confirmOrYes(ctx, opts.yes, `Delete user ${args[0]} and all their TACs? This cannot be undone.`);
  const user = await (await ctx.backend()).deleteUser(args[0]!);
  printUser(ctx, user);
  if (!ctx.globals.json) ctx.success(`Deleted ${user.username} and their TACs.`);
};
