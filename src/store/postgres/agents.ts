import { toAgent, toGrant, type AgentRecord, type AgentRow, type AgentsStore, type NewToken, type TokenGrant } from '../agents-store.js';
import type { PgStore } from './store.js';

/**
 * AgentsStore on PostgreSQL. Its queries go through the PgStore, so inside a TAC store
 * transaction they run on that transaction's connection and commit with it.
 */
export class PgAgentsStore implements AgentsStore {
  constructor(private readonly store: PgStore) {}

  private async rows(sql: string, params: unknown[] = []): Promise<AgentRow[]> {
    return this.store.query(sql, params);
  }

  async insertAgent(a: AgentRecord): Promise<void> {
    await this.rows(
      `INSERT INTO agents (client_id, name, role, secret_hash, created_at, created_by, revoked_at, last_used_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [a.clientId, a.name, a.role, a.secretHash, a.createdAt, a.createdBy, a.revokedAt, a.lastUsedAt],
    );
  }

  async getAgent(clientId: string): Promise<AgentRecord | undefined> {
    const [row] = await this.rows('SELECT * FROM agents WHERE client_id = $1', [clientId]);
    return row ? toAgent(row) : undefined;
  }

  async findAgentByName(name: string): Promise<AgentRecord | undefined> {
    const [row] = await this.rows('SELECT * FROM agents WHERE lower(name) = lower($1)', [name]);
    return row ? toAgent(row) : undefined;
  }

  async listAgents(opts: { includeRevoked: boolean }): Promise<AgentRecord[]> {
    const where = opts.includeRevoked ? '' : 'WHERE revoked_at IS NULL ';
    return (await this.rows(`SELECT * FROM agents ${where}ORDER BY created_at, seq`)).map(toAgent);
  }

  async revokeAgent(clientId: string, at: string): Promise<void> {
    await this.rows('UPDATE agents SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL', [at, clientId]);
    await this.rows('DELETE FROM agent_tokens WHERE client_id = $1', [clientId]);
  }

  async touchAgent(clientId: string, at: string): Promise<void> {
    await this.rows('UPDATE agents SET last_used_at = $1 WHERE client_id = $2', [at, clientId]);
  }

  async insertToken(t: NewToken): Promise<void> {
    await this.rows(
      'INSERT INTO agent_tokens (token_hash, client_id, scopes, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
      [t.tokenHash, t.clientId, t.scopes.join(' '), t.issuedAt, t.expiresAt],
    );
  }

  async findLiveToken(tokenHash: string, now: string): Promise<TokenGrant | undefined> {
    const [row] = await this.rows(
      `SELECT t.scopes, t.issued_at AS t_issued_at, t.expires_at AS t_expires_at, a.*
       FROM agent_tokens t JOIN agents a ON a.client_id = t.client_id
       WHERE t.token_hash = $1 AND t.expires_at > $2 AND a.revoked_at IS NULL`,
      [tokenHash, now],
    );
    return row ? toGrant(row) : undefined;
  }

  async deleteExpiredTokens(now: string): Promise<number> {
    return (await this.rows('DELETE FROM agent_tokens WHERE expires_at <= $1 RETURNING 1', [now])).length;
  }

  async countTokens(clientId: string): Promise<number> {
    const [row] = await this.rows('SELECT COUNT(*)::int AS n FROM agent_tokens WHERE client_id = $1', [clientId]);
    return row!.n as number;
  }
}
