import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransport } from '../../src/backends/remote-http.js';

/** HttpTransport's provider hooks: a provider's own 429 wait, and headers made anew for each attempt. */

let server: Server;
let url: string;
let plan: number[] = [];
const seen: { header: string | undefined; body: string }[] = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    seen.push({ header: req.headers['x-proof'] as string | undefined, body });
    res.writeHead(plan.shift() ?? 200, { 'content-type': 'application/json', 'retry-after': '9', 'x-reset-in': '3' });
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('HttpTransport provider hooks', () => {
  it('waitMs replaces Retry-After; headers and body functions are called for every attempt (429 waits and 503 retries)', async () => {
    const sleeps: number[] = [];
    let n = 0;
    const t = new HttpTransport(new URL(url), {
      sleep: async (ms) => void sleeps.push(ms),
      rateLimit: { retries: 2, maxWaitMs: 10_000, waitMs: (r) => Number(r.headers['x-reset-in']) * 1000 },
    });
    plan = [429, 503, 200];
    seen.length = 0;
    expect((await t.send('GET', 'x', { headers: async () => ({ 'x-proof': `p${++n}` }) })).status).toBe(200);
    expect(seen.map((s) => s.header)).toEqual(['p1', 'p2', 'p3']);
    plan = [429, 200];
    seen.length = 0;
    let m = 0;
    expect((await t.send('POST', 'x', { body: async () => `assertion-${++m}` })).status).toBe(200);
    expect(seen.map((s) => s.body)).toEqual(['assertion-1', 'assertion-2']);
    expect(sleeps[0]).toBe(3000);
    await t.close();
  });
});
