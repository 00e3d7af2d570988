import type { TacStatus } from '../../../core/types.js';
import type { Handler } from '../../spec.js';
import { optInt, optString } from '../../parse.js';
import { TAC_TABLE, tacRow } from '../../present.js';

export const run: Handler = async (ctx, { opts }) => {
  const tacs = await (await ctx.backend()).listTacs({
    user: optString(opts, 'user'),
    status: optString(opts, 'status') as TacStatus | 'all' | undefined,
    limit: optInt(opts, 'limit', '--limit', 1, 1000),
  });
  if (ctx.globals.json) return ctx.json(tacs);
  ctx.table(TAC_TABLE, tacs.map(tacRow));
  if (ctx.tty && tacs.length === 0) ctx.info('No TACs match.');
};
