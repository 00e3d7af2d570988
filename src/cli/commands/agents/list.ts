import { agentsApi, AGENT_TABLE, agentRow } from '../../agents-target.js';
import type { Handler } from '../../spec.js';

export const run: Handler = async (ctx, { opts }) => {
  const agents = await (await agentsApi(ctx)).list(Boolean(opts.all));
  if (ctx.globals.json) return ctx.json(agents);
  ctx.table(AGENT_TABLE, agents.map(agentRow));
  if (ctx.tty && agents.length === 0) ctx.info('No agents yet: tac agents create --name NAME --role ROLE');
};
