import type { Handler } from '../../spec.js';
import { confirmOrYes } from '../../interactive.js';
import { printUser } from '../../present.js';

export const run: Handler = async (ctx, { args, opts }) => {
  await confirmOrYes(ctx, opts.yes, `Disable ${args[0]}? Their pending or active TAC will be revoked.`);
  const user = await (await ctx.backend()).setUserDisabled(args[0]!, true);
  printUser(ctx, user);
  if (!ctx.globals.json) ctx.success(`Disabled ${user.username}; any pending or active TAC was revoked.`);
};
