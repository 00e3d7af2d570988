import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBackend } from '../../src/backends/local.js';
import { ERROR_TABLE } from '../../src/core/errors.js';
import { AgentService } from '../../src/server/agent-service.js';
import { buildApp, type TacServer } from '../../src/server/app.js';
import { BODY_LIMIT_BYTES, IMPORT_BODY_LIMIT_BYTES } from '../../src/server/limits.js';
import { createAgent, getToken, RobustEnv, seedFor, size, snapshot, STACK_RE, startServe, type RunningServer } from './helpers.js';

/**
 * Property-based tests of the API's request handling (fast-check, fixed seed): for any method,
 * route, path parameter, query string, content type and body — wrong types, extra and unknown
 * fields, prototype keys, malformed JSON, deep nesting, oversized bodies — the server never answers
 * 5xx, every error is problem+json with a code from the documented table, and a rejected request
 * writes nothing. Then the body limit over real sockets against `tac serve`: 413.
 *
 * Sizes: 400 fuzzed requests by default, 4000 with TAC_STRESS=1.
 */
const SEED = seedFor('fuzz-api', 3_2026_05);
const RUNS = size(400, 4000);

const FIELDS = [
  'username', 'email', 'phone', 'name', 'guest', 'rows', 'onExisting', 'emails', 'line', 'input', 'user', 'code', 'ttl', 'startsAt',
  'oneTime', 'reason', 'verifiedBy', 'verificationNote', 'dryRun', 'role', 'enabled', 'minTtl', 'maxTtl', 'defaultTtl', 'length',
  'complexity', 'numbers', 'letters', 'specialCharacters', 'mixedCase', 'excludeAmbiguous', 'multiUseAllowed', 'oneTimeDefault',
  'maxFailedAttempts', 'lockoutDuration', 'purgeAfterDays', 'requireAttestation', 'q', 'guests', 'limit', 'status', 'action', 'since',
  'revoked', 'grant_type', 'client_id', 'client_secret', 'scope',
];
const NASTY = [
  '', ' ', 'alice', 'alice@example.com', '+15550101010', 'usr_aaaaaaaaaaaaaaaa', 'tac_aaaaaaaaaaaaaaaa', '2026-01-01T00:00:00Z', '+2h',
  '-1', '0', '1e309', 'NaN', 'callback', 'skip', 'reissue', 'admin', 'app', 'true', 'null', '__proto__', 'constructor', '\u0000',
  '\uFEFF', '\uD800', '😀', 'ß'.repeat(40), '../../etc/passwd', '%00', "'; DROP TABLE users; --", 'a'.repeat(5000), '\n\r\t',
];
const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'application/json; charset=latin1',
  'application/JSON', 'application/problem+json', 'application/x-www-form-urlencoded', 'text/plain', 'text/json', 'application/xml',
  'multipart/form-data; boundary=x', 'application/octet-stream', '*/*', 'garbage', ';;;', '',
];

type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown; contentType?: string }
  | { kind: 'raw'; text: string; contentType: string };

interface Case {
  route: number;
  method?: string;
  params: string[];
  rawParam: boolean;
  query: [string, string][];
  body: Body;
  auth: 'admin' | 'none' | 'garbage' | 'app';
}

describe('fuzz: API request bodies, parameters and content types', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tac-robust-fuzz-api-'));
  const dbPath = join(dir, 'tac.db');
  let backend: LocalBackend;
  let app: TacServer;
  const routes: { method: string; url: string }[] = [];
  const log: string[] = [];
  const tokens: Record<string, string> = {};
  let aliceId = '';
  let tacId = '';

  beforeAll(async () => {
    backend = new LocalBackend({ dbPath, keyPath: join(dir, 'hmac.key'), actor: 'fuzzer' });
    app = await buildApp({
      backend, stderr: { write: (s) => log.push(s) }, verifyPerMinute: 1e9, tokenRequestsPerMinute: 1e9,
      onRoute: (r) => {
        for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push({ method: m, url: r.url });
      },
    });
    const agents = new AgentService(backend.engine, { now: () => new Date() });
    for (const role of ['admin', 'app'] as const) {
      const c = await agents.create({ core: backend.core, actor: 'fuzzer' }, { name: `fuzz-${role}`, role });
      const res = await app.inject({
        method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret }).toString(),
      });
      tokens[role] = res.json().access_token;
    }
    aliceId = (await backend.addUser({ username: 'alice', email: 'alice@example.com', phone: '+15550101010' })).id;
    tacId = (await backend.issueTac({ user: 'alice', verifiedBy: 'callback' })).id;
  });

  afterAll(async () => {
    await app?.close();
    await backend?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const scalar = fc.oneof(
    fc.constantFrom(...NASTY),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
  );
  const fieldName = fc.oneof(fc.constantFrom(...FIELDS, '__proto__', 'constructor', 'prototype'), fc.string({ maxLength: 12 }));
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fieldName, tie('value'), { maxKeys: 5 }),
    ),
  }));
  // Bodies shaped like the real ones: known field names (and a few unknown) with values of any type.
  const shaped = fc.dictionary(fieldName, value, { maxKeys: 8 });
  const importLike = fc.record({ rows: fc.array(fc.record({ line: fc.oneof(fc.integer(), scalar), input: shaped }), { maxLength: 5 }), onExisting: scalar });
  const body: fc.Arbitrary<Body> = fc.oneof(
    fc.constant<Body>({ kind: 'none' }),
    shaped.map((v): Body => ({ kind: 'json', value: v })),
    importLike.map((v): Body => ({ kind: 'json', value: v })),
    value.map((v): Body => ({ kind: 'json', value: v })),
    fc.tuple(shaped, fc.constantFrom(...CONTENT_TYPES)).map(([v, ct]): Body => ({ kind: 'json', value: v, contentType: ct })),
    fc.tuple(fc.string({ maxLength: 200 }), fc.constantFrom(...CONTENT_TYPES)).map(([text, ct]): Body => ({ kind: 'raw', text, contentType: ct })),
    // Almost JSON: a valid body cut short or with a stray character.
    fc.tuple(shaped, fc.nat(), fc.constantFrom('', '}', ',', '\u0000', "'")).map(([v, cut, extra]): Body => {
      const s = JSON.stringify(v);
      return { kind: 'raw', text: s.slice(0, cut % (s.length + 1)) + extra, contentType: 'application/json' };
    }),
  );
  const param = fc.oneof({ arbitrary: fc.constant('alice'), weight: 3 }, fc.constantFrom('nobody', ...NASTY.slice(0, 20)), fc.string({ maxLength: 30 }));
  const kase: fc.Arbitrary<Case> = fc.record({
    route: fc.nat(),
    // Mostly the route's own method; now and then another one.
    method: fc.oneof({ arbitrary: fc.constant(undefined), weight: 8 }, { arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'), weight: 1 }),
    params: fc.array(param, { minLength: 2, maxLength: 2 }),
    rawParam: fc.boolean(),
    query: fc.array(fc.tuple(fieldName, scalar.map(String)), { maxLength: 4 }),
    body,
    auth: fc.oneof({ arbitrary: fc.constant('admin' as const), weight: 12 }, fc.constantFrom('none' as const, 'garbage' as const, 'app' as const)),
  });

  function toRequest(c: Case) {
    const r = routes[c.route % routes.length]!;
    let i = 0;
    const realRef = (p: string) => (p === 'alice' ? [aliceId, 'alice', tacId][c.route % 3]! : p);
    let url = r.url.replace(/:[A-Za-z]+/g, () => {
      const p = realRef(c.params[i++ % 2]!);
      return c.rawParam ? p.replace(/[/?#\s]/g, '') || 'x' : encodeURIComponent(p);
    });
    if (c.query.length) url += `?${new URLSearchParams(c.query).toString()}`;
    const headers: Record<string, string> = {};
    if (c.auth === 'garbage') headers.authorization = 'Bearer not-a-token';
    else if (c.auth !== 'none') headers.authorization = `Bearer ${tokens[c.auth]}`;
    let payload: string | undefined;
    if (c.body.kind === 'json') {
      payload = JSON.stringify(c.body.value) ?? 'null';
      headers['content-type'] = c.body.contentType ?? 'application/json';
    } else if (c.body.kind === 'raw') {
      payload = c.body.text;
      if (c.body.contentType) headers['content-type'] = c.body.contentType;
    }
    return { method: (c.method ?? r.method) as 'GET', url, headers, payload };
  }

  function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, url: string, method = 'POST') {
    expect(res.statusCode, res.body).toBeLessThan(500);
    expect(res.body).not.toMatch(STACK_RE);
    expect(res.body).not.toMatch(/SQLITE|better-sqlite3|node_modules/);
    if (res.statusCode < 400) return;
    const ct = String(res.headers['content-type'] ?? '');
    const json = JSON.parse(res.body) as { code?: string; status?: number; error?: string };
    // The token endpoint answers in the OAuth error format (RFC 6749 §5.2), not problem+json.
    if (method === 'POST' && url.startsWith('/oauth/token') && !ct.startsWith('application/problem+json')) {
      expect(ct).toMatch(/^application\/json/);
      expect(typeof json.error).toBe('string');
      return;
    }
    expect(ct, res.body).toMatch(/^application\/problem\+json/);
    expect(Object.keys(ERROR_TABLE), res.body).toContain(json.code);
    expect(json.status).toBe(res.statusCode);
  }

  it(`${RUNS} fuzzed requests: never 5xx, errors are problem+json from the table, rejected requests write nothing`, async () => {
    expect(routes.length).toBeGreaterThan(20);
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(kase, async (c) => {
        const req = toRequest(c);
        const before = snapshot(dbPath);
        const res = await app.inject(req);
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        expectProblem(res, req.url, req.method);
        if (res.statusCode >= 400) expect(snapshot(dbPath), `${req.method} ${req.url} -> ${res.statusCode} changed the database`).toBe(before);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: false },
    );
    console.log(`[fuzz-api] statuses: ${JSON.stringify(statuses)}`);
    expect(log.join('')).not.toContain('unhandled error');
  }, 300_000);

  it('malformed URLs and over-long path parameters: problem+json (not Fastify\'s own JSON), 4xx', async () => {
    for (const url of ['/v1/users/%', '/v1/users/%zz/unlock', '/v1/users/alice%', '/v1/tacs/%E0%A4%A', `/v1/users/${'a'.repeat(300)}`, `/v1/users/${'%41'.repeat(200)}/tacs`]) {
      for (const method of ['GET', 'POST', 'DELETE'] as const) {
        const res = await app.inject({ method, url, headers: { authorization: `Bearer ${tokens.admin}` } });
        expectProblem(res, url, method);
        expect(res.statusCode, `${method} ${url}`).toBeGreaterThanOrEqual(400);
      }
    }
  });

  describe('edge bodies on every route that takes one', () => {
    const bodyRoutes = () => routes.filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method)).map((r) => ({
      ...r, url: r.url.replace(/:[A-Za-z]+/g, 'alice'), oauth: r.url === '/oauth/token',
    }));
    const send = (r: { method: string; url: string }, payload: string | Buffer, contentType: string) =>
      app.inject({ method: r.method as 'POST', url: r.url, headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': contentType }, payload });

    it('malformed JSON: 400 (the OAuth route: 400 or 415, as OAuth JSON); nothing written', async () => {
      for (const r of bodyRoutes()) {
        for (const text of ['{', '{"user":', '[1,]', "{'a':1}", 'nul', '\u0000', '{"a":1}{"b":2}']) {
          const before = snapshot(dbPath);
          const res = await send(r, text, r.oauth ? 'application/x-www-form-urlencoded' : 'application/json');
          expectProblem(res, r.url);
          if (!r.oauth) expect(res.statusCode, `${r.method} ${r.url} ${JSON.stringify(text)}: ${res.body}`).toBe(400);
          else expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
          expect(snapshot(dbPath)).toBe(before);
        }
      }
    });

    it('a wrong content type: 415 problem+json; nothing written', async () => {
      for (const r of bodyRoutes().filter((x) => !x.oauth)) {
        for (const ct of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
          const before = snapshot(dbPath);
          const res = await send(r, '{"email":"x@example.com"}', ct);
          expectProblem(res, r.url);
          expect(res.statusCode, `${r.method} ${r.url} as ${ct}: ${res.body}`).toBe(415);
          expect(snapshot(dbPath)).toBe(before);
        }
      }
    });

    it('deeply nested JSON (a parser stack bomb) never gets a 5xx; routes that take a body refuse it', async () => {
      // Routes without a body (unlock, disable, enable, policy reset) ignore one.
      const noBody = /\/(unlock|disable|enable|reset)$/;
      for (const r of bodyRoutes().filter((x) => !x.oauth)) {
        for (const depth of [1000, 100_000]) {
          const before = snapshot(dbPath);
          const res = await send(r, `${'['.repeat(depth)}${']'.repeat(depth)}`, 'application/json');
          expectProblem(res, r.url);
          if (!noBody.test(r.url)) {
            expect(res.statusCode, `${r.method} ${r.url} depth ${depth}: ${res.body}`).toBe(400);
            expect(snapshot(dbPath)).toBe(before);
          }
        }
      }
    });

    it(`a body over the limit (${BODY_LIMIT_BYTES} bytes; ${IMPORT_BODY_LIMIT_BYTES} for imports) is refused with 413; nothing written`, async () => {
      for (const r of bodyRoutes()) {
        const limit = /import|existing/.test(r.url) ? IMPORT_BODY_LIMIT_BYTES : BODY_LIMIT_BYTES;
        const big = JSON.stringify({ email: 'big@example.com', name: 'x'.repeat(limit) });
        const before = snapshot(dbPath);
        const res = await send(r, big, r.oauth ? 'application/x-www-form-urlencoded' : 'application/json');
        expectProblem(res, r.url);
        expect(res.statusCode, `${r.method} ${r.url}: ${res.body.slice(0, 300)}`).toBe(413);
        if (!r.oauth) expect(res.json()).toMatchObject({ code: 'payload_too_large', status: 413 });
        expect(snapshot(dbPath)).toBe(before);
      }
    }, 60_000);
  });
});

describe('the body limit over real sockets against tac serve', () => {
  const env = new RobustEnv('fuzz-api-serve');
  let server: RunningServer;
  let token = '';

  beforeAll(async () => {
    await env.ok(['users', 'add', '--username', 'alice', '--email', 'alice@example.com']);
    server = await startServe(env);
    token = await getToken(server.url, await createAgent(env, 'root', 'admin'));
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    expect(server?.log() ?? '').not.toMatch(/"status":5\d\d|unhandled error/);
    env.cleanup();
  });

  /**
   * A raw HTTP/1.1 request over a socket announcing `bytes` (Content-Length) or streaming chunks (no
   * length up front). The server answers 413 as soon as it knows and closes the connection (Fastify
   * does not read the rest); a client that went on writing would get a reset instead of the answer,
   * so this one sends no more than the server needs to decide: the headers when they announce the
   * length, else `limit` + 1 bytes. Then it reads the answer.
   */
  function send(path: string, bytes: number, opts: { chunked?: boolean; contentType?: string; limit?: number } = {}): Promise<{ status: number; body: string }> {
    return new Promise((resolve) => {
      const url = new URL(path, server.url);
      const sock = connect(Number(url.port), url.hostname);
      const got: Buffer[] = [];
      let done = false;
      const finish = () => {
        if (done) return;
        const text = Buffer.concat(got).toString('utf8');
        const sep = text.indexOf('\r\n\r\n');
        const head = sep < 0 ? text : text.slice(0, sep);
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
        const body = sep < 0 ? '' : text.slice(sep + 4);
        // Complete once the whole body announced by Content-Length is here (or the socket closed).
        if (!sock.closed && !(Buffer.byteLength(body) >= length)) return;
        done = true;
        sock.destroy();
        resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), body });
      };
      sock.on('data', (c: Buffer) => {
        got.push(c);
        finish();
      });
      sock.on('error', () => {});
      sock.on('close', finish);
      sock.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\nContent-Type: ${opts.contentType ?? 'application/json'}\r\n${opts.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${bytes}`}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const stopAt = opts.chunked ? Math.min(bytes, (opts.limit ?? bytes) + 1) : 0;
      let sent = 0;
      const pump = () => {
        while (sent < stopAt && !sock.destroyed) {
          const n = Math.min(chunk.length, stopAt - sent);
          sent += n;
          const data = opts.chunked ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), chunk.subarray(0, n), Buffer.from('\r\n')]) : chunk.subarray(0, n);
          if (!sock.write(data)) return sock.once('drain', pump);
        }
        if (opts.chunked && sent >= bytes && !sock.destroyed) sock.write('0\r\n\r\n');
      };
      pump();
    });
  }

  it.each([
    ['/v1/users', BODY_LIMIT_BYTES + 1, false],
    ['/v1/users', 5 * BODY_LIMIT_BYTES, true],
    ['/v1/tacs/verify', BODY_LIMIT_BYTES + 1, true],
    ['/v1/guests/import', IMPORT_BODY_LIMIT_BYTES + 1, false],
    ['/v1/users/import', 2 * IMPORT_BODY_LIMIT_BYTES, true],
  ])('POST %s with %i bytes (chunked: %s): 413 problem+json, nothing written', async (path, bytes, chunked) => {
    const before = snapshot(env.dbPath);
    const res = await send(path, bytes, { chunked, limit: /import/.test(path) ? IMPORT_BODY_LIMIT_BYTES : BODY_LIMIT_BYTES });
    expect(res.status, res.body).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'payload_too_large', status: 413 });
    expect(snapshot(env.dbPath)).toBe(before);
  }, 60_000);

  it('POST /oauth/token with an oversized form: 413, OAuth error JSON', async () => {
    const res = await send('/oauth/token', 100 * 1024, { contentType: 'application/x-www-form-urlencoded', limit: 16 * 1024 });
    expect(res.status, res.body).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_request' });
  });

  it('the server still answers afterwards', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
  });
});
