import type { Clock } from '../core/clock.js';
import type { LocalBackend } from '../backends/local.js';
import type { GroupCommit } from '../store/group-commit.js';
import type { AgentService } from './agent-service.js';
import type { RequestLog } from './request-log.js';

/**
 * What every route plugin gets: the backend (core + SQLite), agents, the clock, the log, and
 * `writes`: every route that writes runs its service call through it (group commit).
 */
export interface ServerContext {
  backend: LocalBackend;
  agents: AgentService;
  clock: Clock;
  log: RequestLog;
  writes: GroupCommit;
}
