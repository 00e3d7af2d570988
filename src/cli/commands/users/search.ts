import type { Handler } from '../../spec.js';
import { optInt } from '../../parse.js';
import { USER_TABLE, userRow } from '../../present.js';

export const run: Handler = async (ctx, { args, opts }) => {
  const users = await (await ctx.backend()).searchUsers(args[0] ?? '', {
    guestsOnly: Boolean(opts.guests),
    limit: optInt(opts, 'limit', '--limit', 1, 1000),
  });
  if (ctx.globals.json) return ctx.json(users);
  const now = ctx.clock.now();
  ctx.table(USER_TABLE, users.map((u) => userRow(u, now)));
  if (ctx.tty && users.length === 0) ctx.info('No users match.');
};
