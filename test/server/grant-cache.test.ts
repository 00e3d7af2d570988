import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TokenGrant } from '../../src/store/agents-store.js';
import { SqliteAgentsStore } from '../../src/store/sqlite/agents.js';
import { revokeAgent } from '../../src/server/agents-admin.js';
import { GrantCache, GRANT_CACHE_MAX_AGE_MS } from '../../src/server/grant-cache.js';
import { bearer, makeServer, type Creds, type ServerHarness } from './helpers.js';

/**
 * The cache of authenticated tokens (src/server/grant-cache.ts) must never outlive a revocation.
 * SQLite only: the cache exists only where the engine reports other connections' commits (SQLite's
 * data_version); PostgreSQL has none (agents-engines.test.ts: a revocation across two replicas).
 */
describe('authenticated tokens are cached, never past a revocation or expiry', () => {
  let h: ServerHarness;
  let creds: Creds;
  let token: string;
  beforeEach(async () => {
    h = await makeServer();
    creds = await h.agent('app', 'cached-app');
    token = await h.token(creds);
  });
  afterEach(() => h.close());

  const whoami = () => h.app.inject({ url: '/v1/whoami', headers: bearer(token) });
  const nextTurn = () => new Promise((r) => setImmediate(r));

  it('looks a token up once, then serves it from memory; a change by another connection is seen', async () => {
    const lookups = vi.spyOn(SqliteAgentsStore.prototype, 'findLiveToken');
    expect((await whoami()).statusCode).toBe(200);
    expect((await whoami()).statusCode).toBe(200);
    expect(lookups).toHaveBeenCalledTimes(1);
    lookups.mockRestore();
    // Deleting the token behind the server's back, from another connection, is seen (data_version).
    const raw = new Database(h.dbPath);
    raw.prepare('DELETE FROM agent_tokens').run();
    raw.close();
    await nextTurn();
    expect((await whoami()).statusCode).toBe(401);
  });

  it('a revocation over HTTP stops a cached token at once', async () => {
    expect((await whoami()).statusCode).toBe(200);
    const admin = await h.tokenFor('admin');
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/agents/${creds.clientId}`, headers: bearer(admin) })).statusCode).toBe(200);
    expect((await whoami()).statusCode).toBe(401);
  });

  it('a revocation by another process (tac agents revoke on the database) stops a cached token', async () => {
    expect((await whoami()).statusCode).toBe(200);
    await revokeAgent({ dbPath: h.dbPath, keyPath: h.keyPath, clientId: creds.clientId, actor: 'root' });
    await nextTurn();
    expect((await whoami()).statusCode).toBe(401);
  });

  it('a cached token stops working when it expires', async () => {
    expect((await whoami()).statusCode).toBe(200);
    h.clock.advance(59);
    expect((await whoami()).statusCode).toBe(200);
    h.clock.advance(1);
    expect((await whoami()).statusCode).toBe(401);
  });
});

describe('GrantCache', () => {
  const grant = (expiresAt: string): TokenGrant => ({
    agent: { clientId: 'agt_x', name: 'x', role: 'app', secretHash: 'h', createdAt: 'c', createdBy: 'b', revokedAt: null, lastUsedAt: null },
    scopes: ['tacs:verify'], issuedAt: '2026-01-01T00:00:00.000Z', expiresAt,
  });
  const T0 = Date.parse('2026-01-01T00:00:00.000Z');

  it('forgets entries older than its maximum age, and everything when data_version changes', async () => {
    let version = 1;
    const cache = new GrantCache(() => version);
    cache.set('h1', grant('2026-01-01T01:00:00.000Z'), T0);
    expect(cache.get('h1', T0 + GRANT_CACHE_MAX_AGE_MS)).toBeDefined();
    expect(cache.get('h1', T0 + GRANT_CACHE_MAX_AGE_MS + 1)).toBeUndefined();

    cache.set('h2', grant('2026-01-01T01:00:00.000Z'), T0);
    version = 2;
    // Read once per event-loop turn: the change is seen from the next turn on.
    await new Promise((r) => setImmediate(r));
    expect(cache.get('h2', T0)).toBeUndefined();
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const cache = new GrantCache(() => 1, GRANT_CACHE_MAX_AGE_MS, 2);
    for (const k of ['a', 'b', 'c']) cache.set(k, grant('2026-01-01T01:00:00.000Z'), T0);
    expect([cache.get('a', T0), cache.get('b', T0), cache.get('c', T0)].map(Boolean)).toEqual([false, true, true]);
  });
});
