import type { Handler } from '../../spec.js';
import { usageError } from '../../errors.js';
import { printPolicy } from '../../present.js';

export const run: Handler = async (ctx, { opts }) => {
  if (!opts.yes) throw usageError('--yes required to reset the policy', '--yes');
  const policy = await (await ctx.backend()).resetPolicy();
  printPolicy(ctx, policy);
  if (!ctx.globals.json) ctx.success('Policy reset to the defaults.');
};
