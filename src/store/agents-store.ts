import type { MaybePromise } from '../core/flow.js';
import type { Role } from '../core/agents.js';

/** An agent as stored. `secretHash` never leaves the server's agent service. */
export interface AgentRecord {
  clientId: string;
  name: string;
  role: Role;
  secretHash: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** A live token as found by its hash, with the agent it belongs to. */
export interface TokenGrant {
  agent: AgentRecord;
  scopes: string[];
  issuedAt: string;
  expiresAt: string;
}

/**
 * The agents and agent_tokens tables (migration 2) on the same database as the TAC store, so an
 * agent change and its audit event commit together (inside the TAC store's transaction: on
 * PostgreSQL the same connection). SQLite returns values, PostgreSQL promises (see core/flow.ts).
 */
export interface AgentsStore {
  insertAgent(a: AgentRecord): MaybePromise<void>;
  getAgent(clientId: string): MaybePromise<AgentRecord | undefined>;
  findAgentByName(name: string): MaybePromise<AgentRecord | undefined>;
  /** Oldest first, so the list reads in creation order. */
  listAgents(opts: { includeRevoked: boolean }): MaybePromise<AgentRecord[]>;
  /** Marks the agent revoked and drops its tokens, so they stop working at once. */
  revokeAgent(clientId: string, at: string): MaybePromise<void>;
  touchAgent(clientId: string, at: string): MaybePromise<void>;
  insertToken(t: NewToken): MaybePromise<void>;
  /** The token's grant if it exists, has not expired at `now` and its agent is not revoked. */
  findLiveToken(tokenHash: string, now: string): MaybePromise<TokenGrant | undefined>;
  deleteExpiredTokens(now: string): MaybePromise<number>;
  countTokens(clientId: string): MaybePromise<number>;
}

export interface NewToken {
  tokenHash: string;
  clientId: string;
  scopes: string[];
  issuedAt: string;
  expiresAt: string;
}

export type AgentRow = Record<string, unknown>;

/** An agent from a row of the agents table (the same column names on every engine). */
export const toAgent = (r: AgentRow): AgentRecord => ({
  clientId: r.client_id as string,
  name: r.name as string,
  role: r.role as Role,
  secretHash: r.secret_hash as string,
  createdAt: r.created_at as string,
  createdBy: r.created_by as string,
  revokedAt: (r.revoked_at as string | null) ?? null,
  lastUsedAt: (r.last_used_at as string | null) ?? null,
});

/** A grant from a row of findLiveToken's join (token columns prefixed t_). */
export function toGrant(row: AgentRow): TokenGrant {
  const scopes = String(row.scopes).split(' ').filter(Boolean);
  return { agent: toAgent(row), scopes, issuedAt: row.t_issued_at as string, expiresAt: row.t_expires_at as string };
}
