import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteBackend } from '../../src/backends/remote.js';
import { TacError } from '../../src/core/errors.js';
import { createAgent } from '../../src/server/agents-admin.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { tempDb } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup() {
  const db = tempDb();
  const lines: string[] = [];
  cleanups.push(() => rmSync(db.dir, { recursive: true, force: true }));
  return { ...db, lines, stderr: { write: (s: string) => lines.push(s) }, logs: () => lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function start(opts: Parameters<typeof startServer>[0]): Promise<RunningServer> {
  const s = await startServer(opts);
  cleanups.push(() => s.close());
  return s;
}

describe('startServer', () => {
  it('listens on loopback (port 0 = any free port), logs its URL and serves /healthz', async () => {
    const env = setup();
    const s = await start({ dbPath: env.dbPath, keyPath: env.keyPath, port: 0, stderr: env.stderr });
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${s.url}/healthz`);
    expect([res.status, await res.json()]).toEqual([200, { status: 'ok' }]);
    expect(env.logs()[0]).toMatchObject({ level: 'info', msg: 'listening', url: s.url, tls: false });
    expect(env.logs().some((l) => l.level === 'warn')).toBe(false);
    // Slow clients are cut off by default (Node's and Fastify's request timeouts are off otherwise).
    const { requestTimeout, headersTimeout, keepAliveTimeout, timeout } = s.app.server;
    expect({ requestTimeout, headersTimeout, keepAliveTimeout, timeout }).toEqual({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000, timeout: 60_000 });
  });

  it('warns when serving plain HTTP beyond loopback', async () => {
    const env = setup();
    const s = await start({ dbPath: env.dbPath, keyPath: env.keyPath, host: '0.0.0.0', port: 0, stderr: env.stderr });
    expect(s.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    expect(env.logs()).toContainEqual(expect.objectContaining({ level: 'warn', host: '0.0.0.0' }));
  });

  it('finishes in-flight requests on close, then refuses connections and closes the database', async () => {
    const env = setup();
    const creds = await createAgent({ dbPath: env.dbPath, keyPath: env.keyPath, name: 'slow', role: 'helpdesk', actor: 't' });
    const s = await startServer({ dbPath: env.dbPath, keyPath: env.keyPath, port: 0, stderr: env.stderr });
    // A token request takes a scrypt (tens of ms): close while it is in flight, i.e. once the server
    // has taken the request (our listener runs after Fastify's own, so Fastify has it by then).
    const received = new Promise<void>((r) => s.app.server.once('request', () => r()));
    const inflight = fetch(`${s.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret }),
    });
    await received;
    const closed = s.close();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect((await res.json()).token_type).toBe('Bearer');
    await closed;
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    // The request log is written once per turn: closing writes what is left, before 'stopped'.
    expect(env.logs().slice(-2)).toMatchObject([{ msg: 'request', route: '/oauth/token', status: 200 }, { msg: 'stopped' }]);
    await s.close(); // idempotent
  });

  it('shuts down gracefully on SIGTERM and SIGINT and exits 0', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const env = setup();
      // Keep the test runner's own handlers out of the way while we deliver the signal.
      const others = process.listeners(signal);
      process.removeAllListeners(signal);
      try {
        let exited: (code: number) => void = () => undefined;
        const exitCode = new Promise<number>((r) => (exited = r));
        const s = await startServer({ dbPath: env.dbPath, keyPath: env.keyPath, port: 0, stderr: env.stderr, handleSignals: true, exit: exited });
        expect(process.listenerCount(signal)).toBe(1);
        process.emit(signal, signal);
        expect(await exitCode).toBe(0);
        expect(process.listenerCount(signal)).toBe(0);
        await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
        expect(env.logs().map((l) => l.msg)).toEqual(['listening', 'shutting down', 'stopped']);
      } finally {
        for (const l of others) process.on(signal, l as NodeJS.SignalsListener);
      }
    }
  });

  it('refuses a busy port, half a TLS pair and an unreadable certificate with usage errors', async () => {
    const env = setup();
    const s = await start({ dbPath: env.dbPath, keyPath: env.keyPath, port: 0, stderr: env.stderr });
    const port = Number(new URL(s.url).port);
    const busy = await startServer({ dbPath: env.dbPath, keyPath: env.keyPath, port, stderr: env.stderr }).catch((e: TacError) => e);
    expect(busy).toMatchObject({ code: 'usage', exitCode: 2 });
    expect(busy.message).toMatch(/port is already in use/);
    await expect(startServer({ dbPath: env.dbPath, keyPath: env.keyPath, port: 0, tlsCert: 'x.pem' })).rejects.toMatchObject({ code: 'usage', message: '--tls-cert and --tls-key must be given together' });
    await expect(startServer({ dbPath: env.dbPath, keyPath: env.keyPath, port: 0, tlsCert: '/nope/c.pem', tlsKey: '/nope/k.pem' })).rejects.toMatchObject({ code: 'usage', message: expect.stringMatching(/^--tls-cert: cannot read/) });
  });

  it('takes the verify rate limit from TAC_VERIFY_RATE_LIMIT (load tests) and refuses a bad value', async () => {
    const env = setup();
    const creds = await createAgent({ dbPath: env.dbPath, keyPath: env.keyPath, name: 'app', role: 'app', actor: 't' });
    const s = await start({ dbPath: env.dbPath, keyPath: env.keyPath, port: 0, stderr: env.stderr, env: { TAC_VERIFY_RATE_LIMIT: '2' } });
    const token = await fetch(`${s.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const verify = () => fetch(`${s.url}/v1/tacs/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'nobody', code: 'ABCD2345' }),
    }).then((r) => r.status);
    expect([await verify(), await verify(), await verify()]).toEqual([200, 200, 429]);
    for (const bad of ['0', '-5', 'lots', '1.5']) {
      await expect(startServer({ dbPath: env.dbPath, keyPath: env.keyPath, port: 0, env: { TAC_VERIFY_RATE_LIMIT: bad } }))
        .rejects.toMatchObject({ code: 'usage', message: expect.stringMatching(/^TAC_VERIFY_RATE_LIMIT: must be a whole number/) });
    }
  });

  it('trusts the proxies of TAC_TRUST_PROXY for the client address; the trustProxy option overrides it', async () => {
    const env = setup();
    const failFrom = async (url: string, forwardedFor: string) => {
      const res = await fetch(`${url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forwardedFor },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'agt_aaaaaaaaaaaaaaaa', client_secret: 'x' }),
      });
      expect(res.status).toBe(400);
      await new Promise((r) => setImmediate(r)); // the log is written once per turn
    };
    const fromEnv = await start({ dbPath: env.dbPath, keyPath: env.keyPath, port: 0, stderr: env.stderr, env: { TAC_TRUST_PROXY: '127.0.0.1' } });
    await failFrom(fromEnv.url, '1.2.3.4');
    const overridden = await start({ dbPath: env.dbPath, keyPath: env.keyPath, port: 0, stderr: env.stderr, trustProxy: ['10.0.0.0/8'], env: { TAC_TRUST_PROXY: '127.0.0.1' } });
    await failFrom(overridden.url, '1.2.3.4');
    expect(env.logs().filter((l) => l.msg === 'listening').map((l) => l.trustProxy)).toEqual([['127.0.0.1'], ['10.0.0.0/8']]);
    expect(env.logs().filter((l) => l.level === 'warn').map((l) => l.address)).toEqual(['1.2.3.4', '127.0.0.1']);
    await expect(startServer({ dbPath: env.dbPath, keyPath: env.keyPath, port: 0, env: { TAC_TRUST_PROXY: 'true' } }))
      .rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/^TAC_TRUST_PROXY: "true" is not allowed/) });
  });
});

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasOpenssl)('HTTPS', () => {
  it('serves over TLS with --tls-cert/--tls-key; the remote client trusts it only with the CA', async () => {
    const env = setup();
    const cert = join(env.dir, 'cert.pem');
    const key = join(env.dir, 'key.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ], { stdio: 'ignore' });
    const creds = await createAgent({ dbPath: env.dbPath, keyPath: env.keyPath, name: 'tls', role: 'helpdesk', actor: 't' });
    const s = await start({ dbPath: env.dbPath, keyPath: env.keyPath, port: 0, tlsCert: cert, tlsKey: key, stderr: env.stderr });
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect([s.app.server.requestTimeout, s.app.server.headersTimeout]).toEqual([30_000, 10_000]);

    const { readFileSync } = await import('node:fs');
    const trusted = new RemoteBackend({ serverUrl: s.url, ...creds, ca: readFileSync(cert) });
    expect(await trusted.searchUsers('')).toEqual([]);
    await trusted.close();

    const untrusted = new RemoteBackend({ serverUrl: s.url, ...creds, retries: 0 });
    const e = await untrusted.searchUsers('').catch((x: TacError) => x);
    expect(e).toMatchObject({ code: 'unreachable' });
    expect(e.message).toMatch(/TLS certificate not trusted/);
    await untrusted.close();
  });
});
