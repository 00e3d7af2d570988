import type { Clock } from '../core/clock.js';
import type { LocalBackend } from '../backends/local.js';
import type { AgentService } from './agent-service.js';
import type { RequestLog } from './request-log.js';

/** What every route plugin gets: the backend (core + SQLite), agents, the clock and the log. */
export interface ServerContext {
  backend: LocalBackend;
  agents: AgentService;
  clock: Clock;
  log: RequestLog;
}
