import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransport, retryAfterMs } from '../../src/backends/remote-http.js';
import { TokenSource } from '../../src/backends/token-source.js';
import { MemoryTokenCache } from '../../src/backends/token-cache.js';
import { unsupported } from '../../src/backends/unsupported.js';

/** The shared transport's rate-limit waits, the token source, and the one "not offered" error. */

let server: Server;
let url: string;
/** Status codes to answer in turn (then 200), and what each request was. */
let plan: { status: number; retryAfter?: string }[] = [];
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const next = plan.shift() ?? { status: 200 };
    res.writeHead(next.status, { 'content-type': 'application/json', ...(next.retryAfter ? { 'retry-after': next.retryAfter } : {}) });
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('HttpTransport and HTTP 429', () => {
  const sleeps: number[] = [];
  const waits: number[] = [];
  const transport = (maxWaitMs = 10_000) => new HttpTransport(new URL(url), {
    sleep: async (ms) => void sleeps.push(ms), rateLimit: { retries: 2, maxWaitMs, onWait: (s) => waits.push(s) }, service: 'mosaic',
  });

  it('waits Retry-After and sends a POST again (a 429 was not processed), at most `retries` times', async () => {
    sleeps.length = 0;
    seen.length = 0;
    plan = [{ status: 429, retryAfter: '2' }, { status: 200 }];
    const t = transport();
    expect((await t.send('POST', 'x', { body: '{}' })).status).toBe(200);
    expect(seen).toEqual(['POST /x', 'POST /x']);
    expect(sleeps).toEqual([2000]);
    expect(waits).toContain(2);
    plan = [{ status: 429, retryAfter: '1' }, { status: 429, retryAfter: '1' }, { status: 429, retryAfter: '1' }];
    seen.length = 0;
    expect((await t.send('POST', 'x', { body: '{}' })).status).toBe(429);
    expect(seen).toHaveLength(3);
    await t.close();
  });

  it('does not wait longer than maxWaitMs: the 429 is returned at once', async () => {
    sleeps.length = 0;
    seen.length = 0;
    plan = [{ status: 429, retryAfter: '120' }];
    const t = transport(5_000);
    expect((await t.send('GET', 'y')).status).toBe(429);
    expect(sleeps).toEqual([]);
    expect(seen).toHaveLength(1);
    await t.close();
  });

  it('without a rateLimit option a 429 is returned as is (tac serve)', async () => {
    plan = [{ status: 429, retryAfter: '1' }];
    const t = new HttpTransport(new URL(url), { sleep: async () => undefined });
    expect((await t.send('GET', 'z')).status).toBe(429);
    await t.close();
  });

  it('names the service that cannot be reached', async () => {
    const t = new HttpTransport(new URL('http://127.0.0.1:1/'), { retries: 0, service: 'mosaic' });
    await expect(t.send('GET', 'a')).rejects.toMatchObject({ code: 'unreachable', message: 'cannot reach mosaic at http://127.0.0.1:1: connection refused' });
    await t.close();
  });

  it('retryAfterMs reads seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

describe('TokenSource', () => {
  it('shares one token request between concurrent callers, reuses it until near expiry, drops it on demand', async () => {
    let now = 0;
    let fetched = 0;
    const src = new TokenSource(new MemoryTokenCache(), 'k', async () => ({ accessToken: `t${++fetched}`, expiresAt: now + 3_600_000, scope: '' }), () => now);
    expect(await Promise.all([src.get(), src.get(), src.get()])).toEqual(['t1', 't1', 't1']);
    now = 3_600_000 - 61_000;
    expect(await src.get()).toBe('t1');
    now = 3_600_000 - 59_000;
    expect(await src.get()).toBe('t2');
    await src.drop();
    expect(await src.get()).toBe('t3');
  });
});

describe('unsupported', () => {
  it('is one line, exit 5, naming the provider, the command and what to do instead', () => {
    const e = unsupported('mosaic', 'listing TACs', 'tac list', 'use the Mosaic admin portal');
    expect(e.message).toBe('mosaic does not offer listing TACs (tac list); use the Mosaic admin portal');
    expect(e.code).toBe('unsupported');
    expect(e.exitCode).toBe(5);
  });
});
