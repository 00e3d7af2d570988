import type { Handler } from '../../spec.js';
import { printPolicy } from '../../present.js';

export const run: Handler = async (ctx) => {
  printPolicy(ctx, await (await ctx.backend()).getPolicy());
};
