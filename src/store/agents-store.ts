import type Database from 'better-sqlite3';
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

type Row = Record<string, unknown>;

const toAgent = (r: Row): AgentRecord => ({
  clientId: r.client_id as string,
  name: r.name as string,
  role: r.role as Role,
  secretHash: r.secret_hash as string,
  createdAt: r.created_at as string,
  createdBy: r.created_by as string,
  revokedAt: (r.revoked_at as string | null) ?? null,
  lastUsedAt: (r.last_used_at as string | null) ?? null,
});

/**
 * The agents and agent_tokens tables (migration 2) on the same database as the TAC store, so an
 * agent change and its audit event commit together (use SqliteStore.transaction around both).
 */
export class AgentsStore {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** Prepared once per statement: the token lookup runs on every authenticated request. */
  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  insertAgent(a: AgentRecord): void {
    this.stmt(
      `INSERT INTO agents (client_id, name, role, secret_hash, created_at, created_by, revoked_at, last_used_at)
       VALUES (@clientId, @name, @role, @secretHash, @createdAt, @createdBy, @revokedAt, @lastUsedAt)`,
    ).run(a);
  }

  getAgent(clientId: string): AgentRecord | undefined {
    const row = this.stmt('SELECT * FROM agents WHERE client_id = ?').get(clientId) as Row | undefined;
    return row ? toAgent(row) : undefined;
  }

  findAgentByName(name: string): AgentRecord | undefined {
    const row = this.stmt('SELECT * FROM agents WHERE name = ? COLLATE NOCASE').get(name) as Row | undefined;
    return row ? toAgent(row) : undefined;
  }

  /** Oldest first, so the list reads in creation order. */
  listAgents(opts: { includeRevoked: boolean }): AgentRecord[] {
    const sql = opts.includeRevoked
      ? 'SELECT * FROM agents ORDER BY created_at, rowid'
      : 'SELECT * FROM agents WHERE revoked_at IS NULL ORDER BY created_at, rowid';
    return (this.stmt(sql).all() as Row[]).map(toAgent);
  }

  /** Marks the agent revoked and drops its tokens, so they stop working at once. */
  revokeAgent(clientId: string, at: string): void {
    this.stmt('UPDATE agents SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL').run(at, clientId);
    this.stmt('DELETE FROM agent_tokens WHERE client_id = ?').run(clientId);
  }

  touchAgent(clientId: string, at: string): void {
    this.stmt('UPDATE agents SET last_used_at = ? WHERE client_id = ?').run(at, clientId);
  }

  insertToken(t: { tokenHash: string; clientId: string; scopes: string[]; issuedAt: string; expiresAt: string }): void {
    this.stmt(
      'INSERT INTO agent_tokens (token_hash, client_id, scopes, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    ).run(t.tokenHash, t.clientId, t.scopes.join(' '), t.issuedAt, t.expiresAt);
  }

  /** The token's grant if it exists, has not expired at `now` and its agent is not revoked. */
  findLiveToken(tokenHash: string, now: string): TokenGrant | undefined {
    const row = this.stmt(
      `SELECT t.scopes, t.issued_at AS t_issued_at, t.expires_at AS t_expires_at, a.*
       FROM agent_tokens t JOIN agents a ON a.client_id = t.client_id
       WHERE t.token_hash = ? AND t.expires_at > ? AND a.revoked_at IS NULL`,
    ).get(tokenHash, now) as Row | undefined;
    if (!row) return undefined;
    const scopes = String(row.scopes).split(' ').filter(Boolean);
    return { agent: toAgent(row), scopes, issuedAt: row.t_issued_at as string, expiresAt: row.t_expires_at as string };
  }

  deleteExpiredTokens(now: string): number {
    return this.stmt('DELETE FROM agent_tokens WHERE expires_at <= ?').run(now).changes;
  }

  countTokens(clientId: string): number {
    return (this.stmt('SELECT COUNT(*) AS n FROM agent_tokens WHERE client_id = ?').get(clientId) as { n: number }).n;
  }
}
