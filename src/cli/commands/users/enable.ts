import type { Handler } from '../../spec.js';
import { printUser } from '../../present.js';

export const run: Handler = async (ctx, { args }) => {
  const user = await (await ctx.backend()).setUserDisabled(args[0]!, false);
  printUser(ctx, user);
  if (!ctx.globals.json) ctx.success(`Enabled ${user.username}.`);
};
