import type { Handler } from '../../spec.js';
import { usageError } from '../../errors.js';
import { printUser } from '../../present.js';

export const run: Handler = async (ctx, { args, opts }) => {
  if (!opts.yes) throw usageError('--yes required to delete a user', '--yes');
  const user = await (await ctx.backend()).deleteUser(args[0]!);
  printUser(ctx, user);
  if (!ctx.globals.json) ctx.success(`Deleted ${user.username} and their TACs.`);
};
