import type { AgentView, CreatedAgent } from '../core/agents.js';
import {
  checkAgentName, checkRole, dummySecretHash, grantScopes, hashSecret, hashToken, newAccessToken, newClientId, newClientSecret,
  ROLE_SCOPES, verifySecret, type Role, type Scope,
} from '../core/agents.js';
import { iso, type Clock } from '../core/clock.js';
import { notFound, TacError } from '../core/errors.js';
import type { TacService } from '../core/service.js';
import { truncate } from '../core/duration.js';
import { AgentsStore, type AgentRecord, type TokenGrant } from '../store/agents-store.js';
import type { SqliteStore } from '../store/sqlite-store.js';
import { GrantCache } from './grant-cache.js';

export type { AgentView, CreatedAgent };

export type TokenOutcome =
  | { ok: true; accessToken: string; expiresIn: number; scopes: Scope[]; agent: AgentRecord }
  | { ok: false; error: 'invalid_client' | 'invalid_scope'; description: string };

export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

/** Who acts: their audit trail (a TacService acting as them) and their actor name. */
export interface Acting {
  service: TacService;
  actor: string;
}

export const viewAgent = (a: AgentRecord): AgentView => ({
  clientId: a.clientId, name: a.name, role: a.role, scopes: [...ROLE_SCOPES[a.role]], createdAt: a.createdAt,
  createdBy: a.createdBy, revokedAt: a.revokedAt, lastUsedAt: a.lastUsedAt,
});

/**
 * Agent management and the client-credentials grant, over the TAC database. Audit events go
 * through the acting TacService (`Acting`) so they carry the acting admin and commit with the change.
 */
export class AgentService {
  private readonly agents: AgentsStore;
  private readonly grants: GrantCache;

  constructor(
    private readonly store: SqliteStore,
    private readonly clock: Clock,
    private readonly tokenTtlSeconds = DEFAULT_TOKEN_TTL_SECONDS,
  ) {
    this.agents = new AgentsStore(store.db);
    this.grants = new GrantCache(() => store.dataVersion());
  }

  async create(acting: Acting, input: { name: unknown; role: unknown }): Promise<CreatedAgent> {
    const name = checkAgentName(input.name);
    const role = checkRole(input.role);
    this.assertNameFree(name);
    const clientSecret = newClientSecret();
    const secretHash = await hashSecret(clientSecret);
    const record: AgentRecord = {
      clientId: newClientId(), name, role, secretHash, createdAt: iso(this.clock.now()), createdBy: acting.actor,
      revokedAt: null, lastUsedAt: null,
    };
    this.store.transaction(() => {
      // Checked again inside the write lock: another process may have taken the name while we hashed.
      this.assertNameFree(name);
      this.agents.insertAgent(record);
      acting.service.recordEvent({ action: 'agent.created', details: { clientId: record.clientId, name, role } });
    });
    return { clientId: record.clientId, clientSecret, agent: viewAgent(record) };
  }

  private assertNameFree(name: string): void {
    const other = this.agents.findAgentByName(name);
    if (other) {
      throw new TacError('conflict', `--name: an agent named "${other.name}" already exists (${other.clientId}${other.revokedAt ? ', revoked' : ''}); names are never reused so audit rows stay unambiguous`, { field: '--name' });
    }
  }

  list(opts: { includeRevoked?: boolean } = {}): AgentView[] {
    return this.agents.listAgents({ includeRevoked: Boolean(opts.includeRevoked) }).map(viewAgent);
  }

  /** Revokes an agent and its tokens. Revoking a revoked agent changes nothing and is not an error. */
  revoke(acting: Acting, clientId: string): { agent: AgentView; changed: boolean } {
    return this.store.transaction(() => {
      const a = this.agents.getAgent(String(clientId ?? '').trim());
      if (!a) throw notFound(`agent "${truncate(clientId)}"`);
      if (a.revokedAt) return { agent: viewAgent(a), changed: false };
      const at = iso(this.clock.now());
      this.agents.revokeAgent(a.clientId, at);
      // Before the commit, so no request can be authenticated from the cache in between.
      this.grants.clear();
      acting.service.recordEvent({ action: 'agent.revoked', details: { clientId: a.clientId, name: a.name, role: a.role } });
      return { agent: viewAgent({ ...a, revokedAt: at }), changed: true };
    });
  }

  /** The client credentials grant (RFC 6749 §4.4): authenticates the client and mints a token. */
  async issueToken(clientId: string, clientSecret: string, scope: string | undefined): Promise<TokenOutcome> {
    const agent = this.agents.getAgent(clientId);
    // Unknown and revoked clients still cost one scrypt, so timing does not tell which ids exist.
    const matches = await verifySecret(clientSecret, agent?.secretHash ?? (await dummySecretHash()));
    if (!agent || agent.revokedAt || !matches) {
      return { ok: false, error: 'invalid_client', description: 'client authentication failed (unknown client, wrong secret or revoked agent)' };
    }
    const grant = grantScopes(agent.role, scope);
    if (!grant.ok) return { ok: false, error: 'invalid_scope', description: grant.reason };
    const accessToken = newAccessToken();
    const now = this.clock.now();
    const stored = this.store.transaction(() => {
      // Revocation may have happened while we were hashing: re-check under the write lock.
      if (this.agents.getAgent(agent.clientId)?.revokedAt) return false;
      this.agents.deleteExpiredTokens(iso(now));
      this.agents.insertToken({
        tokenHash: hashToken(accessToken), clientId: agent.clientId, scopes: grant.scopes, issuedAt: iso(now),
        expiresAt: iso(new Date(now.getTime() + this.tokenTtlSeconds * 1000)),
      });
      this.agents.touchAgent(agent.clientId, iso(now));
      return true;
    });
    if (!stored) return { ok: false, error: 'invalid_client', description: 'client authentication failed (unknown client, wrong secret or revoked agent)' };
    return { ok: true, accessToken, expiresIn: this.tokenTtlSeconds, scopes: grant.scopes, agent };
  }

  /** The grant behind a bearer token, or undefined when it is unknown, expired or its agent revoked. */
  authenticate(token: string): TokenGrant | undefined {
    if (!token) return undefined;
    const hash = hashToken(token);
    const now = this.clock.now();
    const cached = this.grants.get(hash, now.getTime());
    if (cached) return cached;
    const grant = this.agents.findLiveToken(hash, iso(now));
    if (grant) this.grants.set(hash, grant, now.getTime());
    return grant;
  }
}

