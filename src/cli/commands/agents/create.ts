import { agentsApi, AGENT_TABLE, agentRow } from '../../agents-target.js';
import { required } from '../../parse.js';
import type { Handler } from '../../spec.js';

/** The secret is printed this once; the server keeps only its scrypt hash. */
export const run: Handler = async (ctx, { opts }) => {
  const created = await (await agentsApi(ctx)).create(required(opts, 'name', '--name'), required(opts, 'role', '--role'));
  if (ctx.globals.json) return ctx.json(created);
  if (!ctx.tty) {
    ctx.print(`${created.clientId}\t${created.clientSecret}\n`);
    return;
  }
  ctx.table(AGENT_TABLE, [agentRow(created.agent)]);
  ctx.print(`\n  client id      ${created.clientId}\n  client secret  ${ctx.style.bold(created.clientSecret)}\n\n`);
  ctx.warn('the client secret will not be shown again; give it to the agent through a secure channel.');
};
