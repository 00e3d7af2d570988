import { toAgent, toGrant, type AgentRecord, type AgentRow, type AgentsStore, type NewToken, type TokenGrant } from '../agents-store.js';
import type { PgStore } from './store.js';

/** Token lookups waiting for their query, by token hash. */
type TokenLookups = Map<string, { now: string; resolve: (g: TokenGrant | undefined) => void; reject: (e: unknown) => void }[]>;

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

  /**
   * Lookups of one event-loop turn go as one query (a server under load authenticates many
   * requests per turn, mostly with the same few tokens). Each is still sent after its request
   * arrived, so a revocation committed before that is seen: nothing is cached across turns.
   */
  findLiveToken(tokenHash: string, now: string): Promise<TokenGrant | undefined> {
    return new Promise((resolve, reject) => {
      // In a transaction, on its connection and at once.
      if (this.store.inTransaction()) return void this.lookUp(new Map([[tokenHash, [{ now, resolve, reject }]]]));
      let waiting = this.lookups.get(tokenHash);
      if (!waiting) this.lookups.set(tokenHash, (waiting = []));
      waiting.push({ now, resolve, reject });
      if (this.lookups.size === 1 && waiting.length === 1) {
        setImmediate(() => {
          const lookups = this.lookups;
          this.lookups = new Map();
          void this.lookUp(lookups);
        });
      }
    });
  }

  private lookups: TokenLookups = new Map();

  private async lookUp(lookups: TokenLookups): Promise<void> {
    let rows: AgentRow[];
    try {
      // Expiry is checked below against each lookup's own instant (ISO strings compare as times).
      rows = await this.rows(
        `SELECT t.token_hash, t.scopes, t.issued_at AS t_issued_at, t.expires_at AS t_expires_at, a.*
         FROM agent_tokens t JOIN agents a ON a.client_id = t.client_id
         WHERE t.token_hash = ANY($1::text[]) AND a.revoked_at IS NULL`,
        [[...lookups.keys()]],
      );
    } catch (e) {
      for (const waiting of lookups.values()) for (const w of waiting) w.reject(e);
      return;
    }
    const found = new Map(rows.map((r) => [r.token_hash as string, r]));
    for (const [hash, waiting] of lookups) {
      const row = found.get(hash);
      for (const w of waiting) w.resolve(row && (row.t_expires_at as string) > w.now ? toGrant(row) : undefined);
    }
  }

  async deleteExpiredTokens(now: string): Promise<number> {
    return (await this.rows('DELETE FROM agent_tokens WHERE expires_at <= $1 RETURNING 1', [now])).length;
  }

  async countTokens(clientId: string): Promise<number> {
    const [row] = await this.rows('SELECT COUNT(*)::int AS n FROM agent_tokens WHERE client_id = $1', [clientId]);
    return row!.n as number;
  }
}
