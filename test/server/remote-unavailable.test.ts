import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteBackend } from '../../src/backends/remote.js';
import { MemoryTokenCache } from '../../src/backends/token-cache.js';

// What the CLI makes of a server whose database is away: the server's 503 answers, as
// routes/system.ts, problem.ts and routes/oauth.ts send them (test/pg/outage.test.ts has the real thing).
const DETAIL = 'the database is unavailable; retry in a few seconds';
let server: Server;
let url: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    res.setHeader('Retry-After', '5');
    if (req.url === '/oauth/token') {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'temporarily_unavailable', error_description: DETAIL }));
      return;
    }
    res.writeHead(503, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ type: 'urn:tac:problem:unavailable', title: 'Database unavailable', status: 503, code: 'unavailable', detail: DETAIL, requestId: 'r' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

const withToken = () => {
  const cache = new MemoryTokenCache();
  void cache.set(`${url}|agt_x|`, { accessToken: 'tacat_cached', expiresAt: Date.now() + 3_600_000, scope: '' });
  return new RemoteBackend({ serverUrl: url, clientId: 'agt_x', clientSecret: 's', tokenCache: cache, retries: 2 });
};

describe('a server whose database is unavailable (503)', () => {
  it('a read is tried again briefly, then fails as unavailable (exit 7) with the server\'s one line', async () => {
    const b = withToken();
    seen.length = 0;
    await expect(b.searchUsers('x')).rejects.toMatchObject({ code: 'unavailable', exitCode: 7, message: DETAIL });
    expect(seen).toEqual(Array(3).fill('GET /v1/users?q=x'));
    await b.close();
  });

  it('a POST is sent once: unavailable, exit 7', async () => {
    const b = withToken();
    seen.length = 0;
    await expect(b.verify('alice', 'K7P2X9QM')).rejects.toMatchObject({ code: 'unavailable', exitCode: 7 });
    expect(seen).toEqual(['POST /v1/tacs/verify']);
    await b.close();
  });

  it('a token request answered temporarily_unavailable is unavailable (exit 7), not a refused client (exit 4)', async () => {
    const b = new RemoteBackend({ serverUrl: url, clientId: 'agt_x', clientSecret: 's' });
    const e = await b.searchUsers('x').catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'unavailable', exitCode: 7, message: `${url} cannot issue a token now: ${DETAIL}` });
    await b.close();
  });
});
