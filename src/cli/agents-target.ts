import type { AgentView, CreatedAgent } from '../backends/remote.js';
import { keyFilePath } from '../store/paths.js';
import type { TableSpec } from '../output/fit.js';
import { localActor, openRemote } from './backend-factory.js';
import type { CommandContext } from './context.js';
import { resolveTarget } from './target.js';

/** Agents are managed on the server's database directly (local admin) or over the API (admins). */
export interface AgentsApi {
  create(name: string, role: string): Promise<CreatedAgent>;
  list(includeRevoked: boolean): Promise<AgentView[]>;
  revoke(clientId: string): Promise<{ agent: AgentView; changed: boolean }>;
}

export async function agentsApi(ctx: CommandContext): Promise<AgentsApi> {
  const target = resolveTarget(ctx.globals, ctx.env);
  if (target.kind === 'remote') {
    const remote = await openRemote(ctx, target);
    return {
      create: (name, role) => remote.createAgent(name, role),
      list: (includeRevoked) => remote.listAgents({ includeRevoked }),
      revoke: (clientId) => remote.revokeAgent(clientId),
    };
  }
  const admin = await import('../server/agents-admin.js');
  const base = { dbPath: target.dbPath, keyPath: keyFilePath(ctx.env), actor: localActor(ctx.env), clock: ctx.clock };
  return {
    create: (name, role) => admin.createAgent({ ...base, name, role }),
    list: (includeRevoked) => admin.listAgents({ ...base, includeRevoked }),
    revoke: (clientId) => admin.revokeAgent({ ...base, clientId }),
  };
}

/** The client id whole (it is what `agents revoke` takes); whether it is revoked before when it was used. */
export const AGENT_TABLE: TableSpec = {
  headers: ['CLIENT ID', 'NAME', 'ROLE', 'CREATED', 'LAST USED', 'REVOKED'],
  priority: ['CLIENT ID', 'NAME', 'ROLE', 'REVOKED', 'LAST USED', 'CREATED'],
  shrink: { NAME: 12 },
};
export const agentRow = (a: AgentView) => [a.clientId, a.name, a.role, a.createdAt, a.lastUsedAt, a.revokedAt];
