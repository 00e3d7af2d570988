import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { hmacHasher } from '../../src/core/codes.js';
import { TacCore } from '../../src/core/service.js';
import { AgentService } from '../../src/server/agent-service.js';
import type { Engine } from '../../src/store/engine.js';
import { openPostgres } from '../../src/store/postgres/engine.js';
import { createTestDatabase, pgAdminUrl } from '../pg/db.js';

/**
 * The agent service over PostgreSQL, as two replicas see it: two engines (two pools) on one
 * database. No grant cache there, so a revocation through one is seen by the other at once.
 */
describe.skipIf(!pgAdminUrl())('AgentService on PostgreSQL, two replicas', () => {
  const clock = new FakeClock('2026-01-01T00:00:00.000Z');
  let a: Engine;
  let b: Engine;
  beforeAll(async () => {
    const url = await createTestDatabase('agents');
    [a, b] = await Promise.all([openPostgres(url, { poolSize: 2 }), openPostgres(url, { poolSize: 2 })]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  const acting = (engine: Engine) => ({ core: new TacCore({ store: engine.store, clock, hasher: hmacHasher(randomBytes(32)), actor: 'admin' }), actor: 'admin' });

  it('a token minted on one replica works on the other until the agent is revoked on either', async () => {
    const onA = new AgentService(a, clock);
    const onB = new AgentService(b, clock);
    const created = await onA.create(acting(a), { name: 'desk-1', role: 'helpdesk' });
    await expect(onB.create(acting(b), { name: 'DESK-1', role: 'app' })).rejects.toMatchObject({ code: 'conflict' });
    const token = await onB.issueToken(created.clientId, created.clientSecret, undefined);
    if (!token.ok) throw new Error(token.description);
    expect((await onA.authenticate(token.accessToken))?.agent.name).toBe('desk-1');
    expect((await onB.authenticate(token.accessToken))?.agent.name).toBe('desk-1');
    const revoked = await b.run(onB.revoke(acting(b), created.clientId));
    expect(revoked.changed).toBe(true);
    expect(await onA.authenticate(token.accessToken)).toBeUndefined();
    expect((await onA.list({ includeRevoked: true })).map((x) => [x.name, x.revokedAt !== null])).toEqual([['desk-1', true]]);
    const audit = await a.run(acting(a).core.queryAudit({ limit: 10 }));
    expect(audit.map((e) => e.action)).toEqual(['agent.revoked', 'agent.created']);
  });
});
