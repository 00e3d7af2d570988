import { afterEach, describe, expect, it } from 'vitest';
import { makeServer, type ServerHarness } from './helpers.js';

// Liveness (/healthz) and readiness (/readyz) on SQLite; PostgreSQL going away is test/pg/outage.test.ts.
let h: ServerHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const problemOf = (res: { statusCode: number; headers: Record<string, unknown>; json: () => Record<string, unknown>; body: string }) => {
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  return res.json();
};

describe('/healthz and /readyz', () => {
  it('answer without a token, as often as asked (no rate limit)', async () => {
    h = await makeServer();
    for (let i = 0; i < 120; i++) {
      const [live, ready] = await Promise.all([h.app.inject({ url: '/healthz' }), h.app.inject({ url: '/readyz' })]);
      expect([live.statusCode, live.json()]).toEqual([200, { status: 'ok' }]);
      expect([ready.statusCode, ready.json()]).toEqual([200, { status: 'ready' }]);
    }
    expect(h.logs().filter((l) => l.level !== 'info')).toEqual([]);
  });

  it('a database that cannot be read: /readyz 503 unavailable with Retry-After, /healthz still 200 (it queries nothing)', async () => {
    h = await makeServer();
    // The SQLite handle closed under the server: every query fails from here on.
    h.backend.store.db.close();
    const ready = await h.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['retry-after']).toBe('5');
    expect(problemOf(ready)).toMatchObject({ code: 'unavailable', status: 503, title: 'Database unavailable', detail: 'the database did not answer' });
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const logs = h.logs();
    // A warning naming the cause, never an error with a stack.
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
    expect(logs.find((l) => l.msg === 'readiness check failed')).toMatchObject({ level: 'warn', message: expect.stringMatching(/not open/) });
    expect(h.rawLogs()).not.toMatch(/\n\s+at /);
  });

  it('a database that does not answer in time: /readyz 503 once its bound has passed, never a hang', async () => {
    h = await makeServer();
    const engine = h.backend.engine as { ping: () => unknown };
    engine.ping = () => new Promise(() => {});
    const ready = await h.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(problemOf(ready)).toMatchObject({ code: 'unavailable', detail: 'the database did not answer within 3 s' });
  });
});
