import type { AgentView, CreatedAgent } from '../core/agents.js';
import {
  checkAgentName, checkRole, dummySecretHash, grantScopes, hashSecret, hashToken, newAccessToken, newClientId, newClientSecret,
  ROLE_SCOPES, verifySecret, type Role, type Scope,
} from '../core/agents.js';
import { iso, type Clock } from '../core/clock.js';
import { notFound, TacError } from '../core/errors.js';
import { isPromise, q, type Flow, type MaybePromise } from '../core/flow.js';
import type { TacCore } from '../core/service.js';
import { truncate } from '../core/duration.js';
import type { AgentRecord, AgentsStore, TokenGrant } from '../store/agents-store.js';
import type { Engine } from '../store/engine.js';
import { GrantCache } from './grant-cache.js';

export type { AgentView, CreatedAgent };

export type TokenOutcome =
  | { ok: true; accessToken: string; expiresIn: number; scopes: Scope[]; agent: AgentRecord }
  | { ok: false; error: 'invalid_client' | 'invalid_scope'; description: string };

export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

/** Who acts: their audit trail (the core acting as them) and their actor name. */
export interface Acting {
  core: TacCore;
  actor: string;
}

export const viewAgent = (a: AgentRecord): AgentView => ({
  clientId: a.clientId, name: a.name, role: a.role, scopes: [...ROLE_SCOPES[a.role]], createdAt: a.createdAt,
  createdBy: a.createdBy, revokedAt: a.revokedAt, lastUsedAt: a.lastUsedAt,
});

/**
 * Agent management and the client-credentials grant, over the TAC database. Audit events go
 * through the acting core (`Acting`) so they carry the acting admin and commit with the change.
 * Changes are flows (see core/service/core.ts), run by the engine (Engine.run) or the server's writes.
 */
export class AgentService {
  private readonly agents: AgentsStore;
  /** Only where the engine tells when another process committed (SQLite); see GrantCache. */
  private readonly grants?: GrantCache;

  constructor(
    private readonly engine: Engine,
    private readonly clock: Clock,
    private readonly tokenTtlSeconds = DEFAULT_TOKEN_TTL_SECONDS,
  ) {
    this.agents = engine.agents;
    if (engine.dataVersion) this.grants = new GrantCache(engine.dataVersion.bind(engine));
  }

  async create(acting: Acting, input: { name: unknown; role: unknown }): Promise<CreatedAgent> {
    const name = checkAgentName(input.name);
    const role = checkRole(input.role);
    await this.engine.run(this.assertNameFree(name));
    const clientSecret = newClientSecret();
    const secretHash = await hashSecret(clientSecret);
    const record: AgentRecord = {
      clientId: newClientId(), name, role, secretHash, createdAt: iso(this.clock.now()), createdBy: acting.actor,
      revokedAt: null, lastUsedAt: null,
    };
    const self = this;
    await this.engine.run(q(this.engine.store.transaction(function* () {
      // Checked again inside the write lock: another process may have taken the name while we hashed.
      yield* self.assertNameFree(name);
      yield* q(self.agents.insertAgent(record));
      yield* acting.core.recordEvent({ action: 'agent.created', details: { clientId: record.clientId, name, role } });
    })));
    return { clientId: record.clientId, clientSecret, agent: viewAgent(record) };
  }

  private *assertNameFree(name: string): Flow<void> {
    const other = yield* q(this.agents.findAgentByName(name));
    if (other) {
      throw new TacError('conflict', `--name: an agent named "${other.name}" already exists (${other.clientId}${other.revokedAt ? ', revoked' : ''}); names are never reused so audit rows stay unambiguous`, { field: '--name' });
    }
  }

  async list(opts: { includeRevoked?: boolean } = {}): Promise<AgentView[]> {
    return (await this.agents.listAgents({ includeRevoked: Boolean(opts.includeRevoked) })).map(viewAgent);
  }

  /** Revokes an agent and its tokens. Revoking a revoked agent changes nothing and is not an error. */
  *revoke(acting: Acting, clientId: string): Flow<{ agent: AgentView; changed: boolean }> {
    const self = this;
    return yield* q(this.engine.store.transaction(function* () {
      const a = yield* q(self.agents.getAgent(String(clientId ?? '').trim()));
      if (!a) throw notFound(`agent "${truncate(clientId)}"`);
      if (a.revokedAt) return { agent: viewAgent(a), changed: false };
      const at = iso(self.clock.now());
      yield* q(self.agents.revokeAgent(a.clientId, at));
      // Before the commit, so no request can be authenticated from the cache in between.
      self.grants?.clear();
      yield* acting.core.recordEvent({ action: 'agent.revoked', details: { clientId: a.clientId, name: a.name, role: a.role } });
      return { agent: viewAgent({ ...a, revokedAt: at }), changed: true };
    }));
  }

  /** The client credentials grant (RFC 6749 §4.4): authenticates the client and mints a token. */
  async issueToken(clientId: string, clientSecret: string, scope: string | undefined): Promise<TokenOutcome> {
    const agent = await this.agents.getAgent(clientId);
    // Unknown and revoked clients still cost one scrypt, so timing does not tell which ids exist.
    const matches = await verifySecret(clientSecret, agent?.secretHash ?? (await dummySecretHash()));
    if (!agent || agent.revokedAt || !matches) {
      return { ok: false, error: 'invalid_client', description: 'client authentication failed (unknown client, wrong secret or revoked agent)' };
    }
    const grant = grantScopes(agent.role, scope);
    if (!grant.ok) return { ok: false, error: 'invalid_scope', description: grant.reason };
    const accessToken = newAccessToken();
    const now = this.clock.now();
    const { agents, tokenTtlSeconds } = this;
    const stored = await this.engine.store.transaction(function* () {
      // Revocation may have happened while we were hashing: re-check under the write lock.
      if ((yield* q(agents.getAgent(agent.clientId)))?.revokedAt) return false;
      yield* q(agents.deleteExpiredTokens(iso(now)));
      yield* q(agents.insertToken({
        tokenHash: hashToken(accessToken), clientId: agent.clientId, scopes: grant.scopes, issuedAt: iso(now),
        expiresAt: iso(new Date(now.getTime() + tokenTtlSeconds * 1000)),
      }));
      yield* q(agents.touchAgent(agent.clientId, iso(now)));
      return true;
    });
    if (!stored) return { ok: false, error: 'invalid_client', description: 'client authentication failed (unknown client, wrong secret or revoked agent)' };
    return { ok: true, accessToken, expiresIn: this.tokenTtlSeconds, scopes: grant.scopes, agent };
  }

  /** The grant behind a bearer token, or undefined when it is unknown, expired or its agent revoked. */
  authenticate(token: string): MaybePromise<TokenGrant | undefined> {
    if (!token) return undefined;
    const hash = hashToken(token);
    const now = this.clock.now();
    const { grants } = this;
    if (!grants) return this.agents.findLiveToken(hash, iso(now));
    const cached = grants.get(hash, now.getTime());
    if (cached) return cached;
    const grant = this.agents.findLiveToken(hash, iso(now));
    if (isPromise(grant)) throw new Error('AgentService: a cached engine must look tokens up synchronously');
    if (grant) grants.set(hash, grant, now.getTime());
    return grant;
  }
}

