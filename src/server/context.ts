import type { EngineBackend } from '../backends/engine-backend.js';
import type { Clock } from '../core/clock.js';
import type { AgentService } from './agent-service.js';
import type { RequestLog } from './request-log.js';
import type { Writes } from './writes.js';

/**
 * What every route plugin gets: the backend (core + its database engine), agents, the clock, the
 * log, and `writes`: every route that writes runs its core flow through it (writes.ts); a route
 * that only reads runs its flow with `backend.engine.run` (see auth.ts `run`).
 */
export interface ServerContext {
  backend: EngineBackend;
  agents: AgentService;
  clock: Clock;
  log: RequestLog;
  writes: Writes;
}
