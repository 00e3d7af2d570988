import type { Handler } from '../../spec.js';
import { confirmOrYes } from '../../interactive.js';
import { printPolicy } from '../../present.js';

export const run: Handler = async (ctx, { opts }) => {
  await confirmOrYes(ctx, opts.yes, 'Reset the TAC policy to the defaults?');
  const policy = await (await ctx.backend()).resetPolicy();
  printPolicy(ctx, policy);
  if (!ctx.globals.json) ctx.success('Policy reset to the defaults.');
};
