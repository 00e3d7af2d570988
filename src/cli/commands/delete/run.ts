import type { Handler } from '../../spec.js';
import { usageError } from '../../errors.js';
import { confirmOrYes } from '../../interactive.js';
import { optString } from '../../parse.js';
import { TAC_TABLE, tacRow } from '../../present.js';

export const run: Handler = async (ctx, { args, opts }) => {
  const id = args[0];
  const user = optString(opts, 'user');
  if (Boolean(id) === Boolean(user)) throw usageError('give either a TAC id or --user (not both)', 'tac-id');
  await confirmOrYes(ctx, opts.yes, id ? `Revoke TAC ${id}?` : `Revoke the pending or active TAC of ${user}?`);
  const backend = await ctx.backend();
  const revoked = id ? [await backend.revokeTac(id)].filter((r) => r.changed).map((r) => r.tac) : await backend.revokeUserTacs(user!);
  if (ctx.globals.json) return ctx.json({ revoked });
  if (revoked.length) {
    ctx.table(TAC_TABLE, revoked.map(tacRow));
    ctx.success(`Revoked ${revoked.length} TAC${revoked.length === 1 ? '' : 's'}.`);
  } else {
    ctx.info(id ? `TAC ${id} was not pending or active; nothing to revoke.` : `User ${user} has no pending or active TAC; nothing to revoke.`);
  }
};
