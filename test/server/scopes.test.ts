import type { HTTPMethods } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isScope, ROLE_SCOPES, ROLES, type Role } from '../../src/core/agents.js';
import { bearer, describeEngines, makeServer, type ServerHarness } from './helpers.js';

describeEngines('scopes', (engine) => {
  /** Every route the app registered, with its declared access. */
  let h: ServerHarness;
  const tokens = {} as Record<Role, string>;
  beforeAll(async () => {
    h = await makeServer({ engine });
    for (const role of ROLES) tokens[role] = await h.tokenFor(role);
  }, 60_000); // four agents (scrypt) and their tokens: slow on a loaded machine
  afterAll(() => h.close());

  const concrete = (url: string) => url.replace(':ref', 'nobody').replace(':id', 'tac_missing').replace(':clientId', 'agt_missing');
  const request = (method: string, url: string, token?: string) =>
    h.app.inject({
      method: method as HTTPMethods, url: concrete(url), headers: token ? bearer(token) : {},
      ...(['POST', 'PUT', 'PATCH'].includes(method) ? { payload: {} } : {}),
    });

  describe('scopes per route and role', () => {
    it('declares an access value on every route, and a scope on every /v1 route but whoami', () => {
      const v1 = h.routes.filter((r) => r.url.startsWith('/v1/'));
      expect(v1.length).toBeGreaterThanOrEqual(28);
      for (const r of v1) {
        const access = r.config?.access;
        if (r.url === '/v1/whoami') expect(access).toBe('authenticated');
        else expect(isScope(access), `${r.method} ${r.url}`).toBe(true);
      }
      expect(h.routes.filter((r) => r.config?.access === 'public').map((r) => r.url).sort()).toEqual(['/healthz', '/oauth/token', '/openapi.json', '/readyz']);
    });

    it('answers 401 problem+json with a Bearer challenge to every /v1 route without a token', async () => {
      for (const r of h.routes.filter((x) => x.url.startsWith('/v1/'))) {
        const res = await request(String(r.method), r.url);
        expect(res.statusCode, `${r.method} ${r.url}`).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="tac"');
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({ code: 'unauthenticated', status: 401 });
      }
    });

    it('answers 403 naming the missing scope for each role outside its scopes, and lets it through otherwise', async () => {
      let refusals = 0;
      for (const r of h.routes.filter((x) => isScope(x.config?.access))) {
        const scope = r.config!.access as string;
        for (const role of ROLES) {
          const res = await request(String(r.method), r.url, tokens[role]);
          const label = `${role} ${r.method} ${r.url}`;
          if ((ROLE_SCOPES[role] as readonly string[]).includes(scope)) {
            expect([401, 403], label).not.toContain(res.statusCode);
            expect(res.statusCode, label).toBeLessThan(500);
          } else {
            refusals++;
            expect(res.statusCode, label).toBe(403);
            expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
            expect(res.headers['www-authenticate']).toBe(`Bearer realm="tac", error="insufficient_scope", scope="${scope}"`);
            expect(res.json(), label).toMatchObject({ code: 'forbidden', status: 403, detail: `your role (${role}) lacks ${scope}` });
          }
        }
      }
      expect(refusals).toBeGreaterThan(50);
    });

    it('maps the documented routes to the documented scopes', () => {
      const access = Object.fromEntries(h.routes.map((r) => [`${r.method} ${r.url}`, r.config?.access]));
      expect(access).toMatchObject({
        'GET /v1/users': 'users:read', 'GET /v1/users/:ref': 'users:read', 'POST /v1/users/existing': 'users:read',
        'POST /v1/users': 'users:write', 'POST /v1/users/import': 'users:write', 'DELETE /v1/users/:ref': 'users:write',
        'POST /v1/users/:ref/disable': 'users:write', 'POST /v1/users/:ref/enable': 'users:write', 'POST /v1/users/:ref/unlock': 'users:unlock',
        'POST /v1/tacs': 'tacs:write', 'GET /v1/tacs': 'tacs:read', 'GET /v1/tacs/:id': 'tacs:read', 'DELETE /v1/tacs/:id': 'tacs:write',
        'DELETE /v1/users/:ref/tacs': 'tacs:write', 'POST /v1/tacs/verify': 'tacs:verify',
        'GET /v1/policy': 'policy:read', 'PUT /v1/policy': 'policy:write', 'PATCH /v1/policy': 'policy:write', 'POST /v1/policy/reset': 'policy:write',
        'POST /v1/purge': 'policy:write', 'POST /v1/guests': 'guests:write', 'POST /v1/guests/import': 'guests:write',
        'GET /v1/audit': 'audit:read', 'GET /v1/audit/export': 'audit:read',
        'GET /v1/agents': 'agents:write', 'POST /v1/agents': 'agents:write', 'DELETE /v1/agents/:clientId': 'agents:write',
        'GET /v1/whoami': 'authenticated', 'GET /healthz': 'public', 'GET /readyz': 'public', 'GET /openapi.json': 'public', 'POST /oauth/token': 'public',
      });
    });
  });
});
