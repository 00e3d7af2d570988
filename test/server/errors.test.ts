import fc from 'fast-check';
import { rmSync } from 'node:fs';
import type { HTTPMethods } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_TABLE } from '../../src/core/errors.js';
import { bearer, describeEngines, makeServer, type ServerHarness } from './helpers.js';

const PROBLEM_KEYS = ['code', 'detail', 'requestId', 'status', 'title', 'type'];

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json: () => Record<string, unknown>; body: string }, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const p = res.json();
  expect(p).toMatchObject({ type: `urn:tac:problem:${code}`, status, code, title: ERROR_TABLE[code as keyof typeof ERROR_TABLE].title });
  expect(typeof p.detail).toBe('string');
  expect(p.requestId).toBe(res.headers['x-request-id']);
  expect(Object.keys(p).filter((k) => !['field', 'details'].includes(k)).sort()).toEqual(PROBLEM_KEYS);
  expect(res.body).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  return p;
}

describeEngines('errors', (engine) => {
  let h: ServerHarness;
  let admin: string;
  beforeAll(async () => {
    h = await makeServer({ engine, verifyPerMinute: 3 });
    admin = await h.tokenFor('admin');
  });
  afterAll(() => h.close());

  const post = (url: string, payload: string | object, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url, headers: { ...bearer(admin), ...headers }, payload });

  describe('problem+json for bad input (never a 5xx)', () => {
    it('404 for unknown routes and unknown resources', async () => {
      expectProblem(await h.app.inject({ url: '/v2/nothing' }), 404, 'not_found');
      const p = expectProblem(await h.app.inject({ url: '/v1/users/nobody', headers: bearer(admin) }), 404, 'not_found');
      expect(p.detail).toBe('user "nobody" not found');
    });

    it('400 invalid_value naming the field for schema violations', async () => {
      const cases: [object, string, RegExp][] = [
        [{ user: 'x', ttl: 'soon' }, 'ttl', /^ttl: must be integer$/],
        [{ user: 'x', color: 'red' }, 'color', /^color: unknown field$/],
        [{ ttl: 5 }, 'user', /^user: is required$/],
        [{ user: 'x', oneTime: 'maybe' }, 'oneTime', /^oneTime: must be boolean$/],
        [[1, 2], 'body', /^body: must be a JSON object$/],
      ];
      for (const [payload, field, detail] of cases) {
        const p = expectProblem(await post('/v1/tacs', payload), 400, 'invalid_value');
        expect(p.field).toBe(field);
        expect(p.detail).toMatch(detail);
      }
      const q = expectProblem(await h.app.inject({ url: '/v1/tacs?limit=0', headers: bearer(admin) }), 400, 'invalid_value');
      expect(q.detail).toBe('--limit: must be a whole number from 1 to 1000');
      const s = expectProblem(await h.app.inject({ url: '/v1/tacs?limit=abc', headers: bearer(admin) }), 400, 'invalid_value');
      expect(s.detail).toBe('limit: must be integer');
    });

    it('400 for malformed JSON, an empty JSON body and prototype poisoning', async () => {
      const json = { 'content-type': 'application/json' };
      expect(expectProblem(await post('/v1/users', '{"email": ', json), 400, 'invalid_value').detail).toBe('request body is not valid JSON');
      expectProblem(await post('/v1/users', '', json), 400, 'invalid_value');
      expectProblem(await post('/v1/users', '{"email":"a@b.co","__proto__":{"admin":true}}', json), 400, 'invalid_value');
    });

    it('415 for other content types', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
        const p = expectProblem(await post('/v1/users', 'email=a%40b.co', { 'content-type': type }), 415, 'unsupported_media_type');
        expect(p.detail).toMatch(/unsupported content type/);
      }
    });

    it('413 over 1 MiB, while import batches may be larger (up to 8 MiB)', async () => {
      const big = { email: 'a@b.co', name: 'x'.repeat(1024 * 1024) };
      expectProblem(await post('/v1/users', big), 413, 'payload_too_large');

      const emails = Array.from({ length: 4000 }, (_, i) => `${'e'.repeat(300)}${i}@example.com`);
      expect(JSON.stringify({ emails }).length).toBeGreaterThan(1024 * 1024);
      const ok = await post('/v1/users/existing', { emails });
      expect([ok.statusCode, ok.json()]).toEqual([200, []]);

      const huge = { rows: [{ line: 1, input: { email: 'a@b.co', name: 'x'.repeat(9 * 1024 * 1024) } }], onExisting: 'skip' };
      expectProblem(await post('/v1/guests/import', huge), 413, 'payload_too_large');
      const tooMany = { rows: Array.from({ length: 5001 }, (_, i) => ({ line: i, input: { email: `g${i}@example.com` } })), onExisting: 'skip' };
      expect(expectProblem(await post('/v1/guests/import', tooMany), 400, 'invalid_value').detail).toBe('rows: must NOT have more than 5000 items');
    });

    it('maps core errors through ERROR_TABLE (409 conflict, 422 policy)', async () => {
      await post('/v1/users', { username: 'dup', email: 'dup@example.com' });
      const c = expectProblem(await post('/v1/users', { username: 'dup', email: 'other@example.com' }), 409, 'conflict');
      expect(c.field).toBe('username');
      await post('/v1/users/dup/disable', {});
      expectProblem(await post('/v1/tacs', { user: 'dup', verifiedBy: 'callback' }), 422, 'policy_violation');
    });

    it('rate limits verify per client with 429 + Retry-After, on top of the per-user lockout', async () => {
      const app1 = await h.tokenFor('app');
      const app2 = await h.tokenFor('app');
      const verify = (t: string) => h.app.inject({ method: 'POST', url: '/v1/tacs/verify', headers: bearer(t), payload: { user: 'nobody', code: 'ABCD2345' } });
      // A refused token is not a client: it is never counted against one.
      expect((await verify('not-a-token')).statusCode).toBe(401);
      for (let i = 0; i < 3; i++) {
        const ok = await verify(app1);
        expect(ok.statusCode).toBe(200);
        expect([ok.headers['x-ratelimit-limit'], ok.headers['x-ratelimit-remaining'], ok.headers['x-ratelimit-reset']]).toEqual(['3', String(2 - i), '60']);
      }
      h.clock.advance(0.5);
      const limited = await verify(app1);
      const p = expectProblem(limited, 429, 'rate_limited');
      expect(limited.headers['retry-after']).toBe('30');
      expect(limited.headers['x-ratelimit-remaining']).toBe('0');
      expect(p.detail).toBe('too many requests; retry in 30 seconds');
      expect(p.details).toEqual({ retryAfterSeconds: 30 });
      expect((await verify(app2)).statusCode).toBe(200);
      // The window is the server's clock: once it ends, the client may verify again.
      h.clock.advance(0.5);
      expect((await verify(app1)).statusCode).toBe(200);
    });

    it('survives arbitrary JSON bodies and query strings on every route without a 5xx', async () => {
      const routes = h.routes.filter((r) => r.url.startsWith('/v1/') && !r.url.includes('agents'));
      const json = fc.jsonValue({ maxDepth: 3 });
      for (const r of routes) {
        const method = String(r.method) as HTTPMethods;
        const url = r.url.replace(/:\w+/g, 'x');
        await fc.assert(fc.asyncProperty(json, fc.dictionary(fc.constantFrom('q', 'limit', 'user', 'status', 'since', 'action', 'guests'), fc.string()), async (body, query) => {
          const res = await h.app.inject({
            method, url, query, headers: bearer(admin),
            ...(['POST', 'PUT', 'PATCH'].includes(method) ? { payload: JSON.stringify(body), headers: { ...bearer(admin), 'content-type': 'application/json' } } : {}),
          });
          expect(res.statusCode, `${method} ${url} ${res.body}`).toBeLessThan(500);
        }), { numRuns: 15 });
      }
    });
  });

  describe('internal errors', () => {
    it('answer 500 problem+json without a stack trace, and log the error for the operator', async () => {
      const broken = await makeServer({ engine });
      const t = await broken.tokenFor('admin');
      await broken.breakDatabase();
      const res = await broken.app.inject({ url: '/v1/users', headers: bearer(t) });
      const p = expectProblem(res, 500, 'internal');
      expect(p.detail).toBe('internal server error; see the server log for this request id');
      const logged = broken.logs().find((l) => l.level === 'error');
      expect(logged).toMatchObject({ msg: 'unhandled error', reqId: p.requestId });
      await broken.app.close();
      rmSync(broken.dir, { recursive: true, force: true });
    });
  });
});
