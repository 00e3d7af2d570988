import { localActor } from '../store/local-actor.js';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { EngineBackend } from '../backends/engine-backend.js';
import { openEngineBackend } from '../backends/open.js';
import { AgentService, type AgentView, type CreatedAgent } from './agent-service.js';

/**
 * `tac agents create|list|revoke` on a database (a SQLite path or a PostgreSQL URL), without HTTP (local admin). Light on
 * purpose: no Fastify here, so the CLI can import it without loading the server.
 */
export interface AgentsAdminOptions {
  /** A SQLite file or a postgres:// URL. */
  dbPath: string;
  keyPath: string;
  /** Recorded in the audit row; defaults to the OS user, as local commands do. */
  actor?: string;
  clock?: Clock;
}

export type { AgentView, CreatedAgent };

async function withAgents<T>(opts: AgentsAdminOptions, fn: (svc: AgentService, backend: EngineBackend, actor: string) => Promise<T> | T): Promise<T> {
  const actor = opts.actor ?? localActor();
  const backend = await openEngineBackend({ dbPath: opts.dbPath, keyPath: opts.keyPath, actor, clock: opts.clock });
  try {
    return await fn(new AgentService(backend.engine, opts.clock ?? systemClock), backend, actor);
  } finally {
    await backend.close();
  }
}

/** Creates an agent; the client secret is in the result once and stored only as a scrypt hash. */
export function createAgent(opts: AgentsAdminOptions & { name: string; role: string }): Promise<CreatedAgent> {
  return withAgents(opts, (svc, backend, actor) => svc.create({ core: backend.core, actor }, { name: opts.name, role: opts.role }));
}

export function listAgents(opts: AgentsAdminOptions & { includeRevoked?: boolean }): Promise<AgentView[]> {
  return withAgents(opts, (svc) => svc.list({ includeRevoked: opts.includeRevoked }));
}

export function revokeAgent(opts: AgentsAdminOptions & { clientId: string }): Promise<{ agent: AgentView; changed: boolean }> {
  return withAgents(opts, (svc, backend, actor) => backend.engine.run(svc.revoke({ core: backend.core, actor }, opts.clientId)));
}
