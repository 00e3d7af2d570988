import type { Handler } from '../../spec.js';
import { optString, required } from '../../parse.js';
import { printUser } from '../../present.js';

export const run: Handler = async (ctx, { opts }) => {
  const input = {
    username: opts.guest ? optString(opts, 'username') : required(opts, 'username', '--username'),
    email: required(opts, 'email', '--email'),
    phone: optString(opts, 'phone'),
    name: optString(opts, 'name'),
    guest: Boolean(opts.guest),
  };
  const user = await (await ctx.backend()).addUser(input);
  printUser(ctx, user);
  if (!ctx.globals.json) ctx.success(`Added ${user.guest ? 'guest' : 'user'} ${user.username}.`);
};
