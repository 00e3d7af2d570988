import type { Handler } from '../../spec.js';
import { oneTimeFlag, optDuration, optString, optTime, required } from '../../parse.js';
import { printIssued } from '../../present.js';

export const run: Handler = async (ctx, { opts }) => {
  const user = required(opts, 'user', '--user');
  const input = {
    user,
    ttl: optDuration(opts, 'ttl', '--ttl'),
    startsAt: optTime(opts, 'startsAt', '--starts-at', ctx.clock.now())?.toISOString(),
    oneTime: oneTimeFlag(opts),
    reason: optString(opts, 'reason'),
  };
  const backend = await ctx.backend();
  printIssued(ctx, await backend.issueTac(input));
};
