import type { Handler } from '../../spec.js';
import { oneTimeFlag, optDuration, optString, optTime, required } from '../../parse.js';
import { printIssued } from '../../present.js';

export const run: Handler = async (ctx, { opts }) => {
  const input = {
    email: required(opts, 'email', '--email'),
    name: optString(opts, 'name'),
    username: optString(opts, 'username'),
    phone: optString(opts, 'phone'),
    ttl: optDuration(opts, 'ttl', '--ttl'),
    startsAt: optTime(opts, 'startsAt', '--starts-at', ctx.clock.now())?.toISOString(),
    oneTime: oneTimeFlag(opts),
  };
  printIssued(ctx, await (await ctx.backend()).createGuest(input));
};
