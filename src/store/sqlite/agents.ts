import type Database from 'better-sqlite3';
import { toAgent, toGrant, type AgentRecord, type AgentRow, type AgentsStore, type NewToken, type TokenGrant } from '../agents-store.js';

/** AgentsStore on SQLite (the same connection as SqliteStore, whose transaction wraps changes). */
export class SqliteAgentsStore implements AgentsStore {
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
    const row = this.stmt('SELECT * FROM agents WHERE client_id = ?').get(clientId) as AgentRow | undefined;
    return row ? toAgent(row) : undefined;
  }

  findAgentByName(name: string): AgentRecord | undefined {
    const row = this.stmt('SELECT * FROM agents WHERE name = ? COLLATE NOCASE').get(name) as AgentRow | undefined;
    return row ? toAgent(row) : undefined;
  }

  listAgents(opts: { includeRevoked: boolean }): AgentRecord[] {
    const sql = opts.includeRevoked
      ? 'SELECT * FROM agents ORDER BY created_at, rowid'
      : 'SELECT * FROM agents WHERE revoked_at IS NULL ORDER BY created_at, rowid';
    return (this.stmt(sql).all() as AgentRow[]).map(toAgent);
  }

  revokeAgent(clientId: string, at: string): void {
    this.stmt('UPDATE agents SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL').run(at, clientId);
    this.stmt('DELETE FROM agent_tokens WHERE client_id = ?').run(clientId);
  }

  touchAgent(clientId: string, at: string): void {
    this.stmt('UPDATE agents SET last_used_at = ? WHERE client_id = ?').run(at, clientId);
  }

  insertToken(t: NewToken): void {
    this.stmt(
      'INSERT INTO agent_tokens (token_hash, client_id, scopes, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    ).run(t.tokenHash, t.clientId, t.scopes.join(' '), t.issuedAt, t.expiresAt);
  }

  findLiveToken(tokenHash: string, now: string): TokenGrant | undefined {
    const row = this.stmt(
      `SELECT t.scopes, t.issued_at AS t_issued_at, t.expires_at AS t_expires_at, a.*
       FROM agent_tokens t JOIN agents a ON a.client_id = t.client_id
       WHERE t.token_hash = ? AND t.expires_at > ? AND a.revoked_at IS NULL`,
    ).get(tokenHash, now) as AgentRow | undefined;
    return row ? toGrant(row) : undefined;
  }

  deleteExpiredTokens(now: string): number {
    return this.stmt('DELETE FROM agent_tokens WHERE expires_at <= ?').run(now).changes;
  }

  countTokens(clientId: string): number {
    return (this.stmt('SELECT COUNT(*) AS n FROM agent_tokens WHERE client_id = ?').get(clientId) as { n: number }).n;
  }
}
