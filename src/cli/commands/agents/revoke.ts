import { agentsApi, AGENT_TABLE, agentRow } from '../../agents-target.js';
import { confirmOrYes } from '../../interactive.js';
import type { Handler } from '../../spec.js';

export const run: Handler = async (ctx, { args, opts }) => {
  await confirmOrYes(ctx, opts.yes, `Revoke agent ${args[0]}? Its tokens stop working at once.`);
  const { agent, changed } = await (await agentsApi(ctx)).revoke(args[0]!);
  if (ctx.globals.json) return ctx.json({ agent, changed });
  ctx.table(AGENT_TABLE, [agentRow(agent)]);
  if (changed) ctx.success(`Revoked agent ${agent.name}; its tokens no longer work.`);
  else ctx.info(`Agent ${agent.name} was already revoked.`);
};
