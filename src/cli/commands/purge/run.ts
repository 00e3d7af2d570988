import type { Handler } from '../../spec.js';

export const run: Handler = async (ctx, { opts }) => {
  const result = await (await ctx.backend()).purge(Boolean(opts.dryRun));
  if (ctx.globals.json) return ctx.json(result);
  if (result.dryRun) ctx.info(`${result.tacIds.length} TAC${result.tacIds.length === 1 ? '' : 's'} would be purged.`);
  else ctx.success(`Purged ${result.purged} TAC${result.purged === 1 ? '' : 's'}.`);
  for (const id of result.tacIds) ctx.print(`${id}\n`);
};
