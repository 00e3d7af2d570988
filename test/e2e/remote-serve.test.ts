import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { expect, it } from 'vitest';
import { createTestDatabase } from '../pg/db.js';
import {
  createAgent, describeBackends, describeRun, runTac, SERVE_START_TIMEOUT_MS, SERVED, startServe, type Env, type IssuedJson, type ServeProcess,
} from './helpers/tac.js';

/** `tac serve` as a process: its URL, its request log, signals, a busy port and TLS. */

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describeBackends('remote: tac serve', (env) => {
  /**
   * A server of its own on a fresh database of the variant's engine (the shared one keeps running
   * for the other tests).
   */
  const ownServer = async (label: string, extra: string[] = []): Promise<{ serve: ServeProcess; dir: ReturnType<typeof env.newClient>; dbEnv: Env }> => {
    const dir = env.newClient(label);
    const db = env.backend === 'postgres' ? await createTestDatabase('serve') : join(dir.dataDir, 'tac.db');
    const serve = await startServe(['--port', '0', '--db', db, ...extra], dir.env);
    // `dbEnv`: the server's database, for `tac agents create` on it.
    return { serve, dir, dbEnv: { ...dir.env, TAC_DB: db } };
  };

  it('prints its URL on the first line of stdout, and nothing else there', async () => {
    expect(env.remote.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.remote.server.stdout()).toBe(`${env.remote.url}\n`);
    const health = await fetch(`${env.remote.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('logs one JSON line per request: reqId, agent, route, status, ms', async () => {
    const a = env.remote.agents.helpdesk;
    await env.remote.server.flushLog();
    const before = env.remote.server.log().length;
    // Requests made here, so the expected lines are known exactly.
    const tokenRes = await fetch(`${env.remote.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${a.clientId}:${a.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(tokenRes.status).toBe(200);
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const sent: { id: string; route: string; status: number; agent: string | null }[] = [
      { id: tokenRes.headers.get('x-request-id')!, route: '/oauth/token', status: 200, agent: null },
    ];
    const call = async (path: string, route: string, status: number, agent: string | null, init: RequestInit = {}) => {
      const res = await fetch(`${env.remote.url}${path}`, init);
      expect(res.status, path).toBe(status);
      await res.arrayBuffer();
      sent.push({ id: res.headers.get('x-request-id')!, route, status, agent });
    };
    const bearer = { authorization: `Bearer ${token}` };
    await call('/v1/whoami', '/v1/whoami', 200, a.name, { headers: bearer });
    await call('/v1/users?q=secret-looking-query', '/v1/users', 200, a.name, { headers: bearer });
    await call('/v1/users/someone-unknown', '/v1/users/:ref', 404, a.name, { headers: bearer });
    await call('/v1/policy', '/v1/policy', 403, a.name, { headers: bearer });
    await call('/v1/whoami', '/v1/whoami', 401, null, { headers: { authorization: 'Bearer tacat_not-a-real-token' } });
    await call('/healthz', '/healthz', 200, null);

    await env.remote.server.flushLog(...sent.map((x) => x.id));
    const lines = env.remote.server.stderr().trimEnd().split('\n');
    const requests = env.remote.server.log().slice(before).filter((l) => l.msg === 'request');
    for (const s of sent) {
      // Exactly one line per request (a line of an earlier request may arrive in this window too).
      const mine = requests.filter((l) => l.reqId === s.id);
      expect(mine, `log lines for ${s.route}`).toHaveLength(1);
      const line = mine[0];
      expect(line).toMatchObject({ level: 'info', agent: s.agent, route: s.route, status: s.status });
      expect(typeof line!.ms).toBe('number');
      expect(Object.keys(line!).sort()).toEqual(['agent', 'level', 'method', 'ms', 'msg', 'reqId', 'route', 'status', 'time']);
    }
    // Every line of stderr is one JSON object.
    for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
    // Routes, never URLs: the query string and path values are not logged; nor is the token.
    const log = env.remote.server.stderr();
    expect(log).not.toContain('secret-looking-query');
    expect(log).not.toContain('someone-unknown');
    expect(log).not.toContain(token);
    expect(log).not.toContain('tacat_not-a-real-token');
  });

  it('never logs a code, a client secret, a token or a request body', async () => {
    // A session through the CLI: codes issued in every way, verified, logins with stored tokens.
    const codes: string[] = [];
    await env.addUser('logme', { phone: '+15550109999', name: 'Log Me' });
    codes.push((await env.issue('logme')).code);
    const g = await env.tacJson<IssuedJson>(['guests', 'create', '--email', 'logged-guest@example.com'], { env: env.remote.envFor('provisioner') });
    expect(g.code, describeRun(g)).toBe(0);
    codes.push(g.json.code);
    const imp = await env.tac(['guests', 'import', env.file('log-guests.csv', 'email\nlg1@example.com\nlg2@example.com\n')]);
    expect(imp.code, describeRun(imp)).toBe(0);
    codes.push(...imp.stdout.trim().split('\n').map((l) => (JSON.parse(l) as IssuedJson).code));
    await env.tac(['verify', '--user', 'logme'], { stdin: `${codes[0]}\n`, env: env.remote.envFor('app') });
    await env.tac(['verify', '--user', 'lg1@example.com'], { stdin: 'WRONGCODE\n', env: env.remote.envFor('app') });
    const c = env.newClient('log-login');
    const login = await runTac(['login', '--server', env.remote.url, '--client-id', env.remote.agents.helpdesk.clientId, '--client-secret-stdin'], { ...c.env, TAC_KEYCHAIN: 'off' }, { stdin: `${env.remote.agents.helpdesk.clientSecret}\n` });
    expect(login.code, describeRun(login)).toBe(0);
    const stored = readFileSync(join(c.configDir, 'credentials.json'), 'utf8');
    const tokens = [...stored.matchAll(/tacat_[A-Za-z0-9_-]+/g)].map((m) => m[0]);
    expect(tokens.length).toBeGreaterThan(0);
    expect((await runTac(['list', '--user', 'logme'], { ...c.env, TAC_KEYCHAIN: 'off' })).code).toBe(0);

    expect(codes).toHaveLength(4);
    await env.remote.server.flushLog();
    const log = env.remote.server.stderr();
    expect(log.length).toBeGreaterThan(0);
    const forbidden = [
      ...codes.flatMap((code) => [code, code.toLowerCase()]),
      ...Object.values(env.remote.agents).map((a) => a.clientSecret),
      ...tokens, 'WRONGCODE', '+15550109999', 'Log Me', 'logged-guest@example.com', 'lg1@example.com',
    ];
    for (const s of forbidden) expect(log, `${s} in the server log`).not.toContain(s);
    // Basic credentials (base64 of id:secret) are not there either.
    for (const a of Object.values(env.remote.agents)) {
      expect(log).not.toContain(Buffer.from(`${a.clientId}:${a.clientSecret}`).toString('base64'));
    }
  });

  it('SIGTERM: finishes, closes the database, logs "stopped" and exits 0; SIGINT too', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const { serve, dir, dbEnv } = await ownServer(`signal-${signal}`);
      // Serve a request so the database is open and used.
      const agent = await createAgent(dbEnv, `sig-${signal.toLowerCase()}`, 'helpdesk');
      const r = await runTac(['users', 'search'], { ...dir.env, TAC_SERVER: serve.url, TAC_CLIENT_ID: agent.clientId, TAC_CLIENT_SECRET: agent.clientSecret });
      expect(r.code, describeRun(r)).toBe(0);
      const { code, signal: killedBy } = await serve.stop(signal);
      expect(killedBy).toBeNull();
      expect(code, serve.stderr()).toBe(0);
      const msgs = serve.log().map((l) => l.msg);
      expect(msgs).toContain('shutting down');
      expect(msgs[msgs.length - 1]).toBe('stopped');
      expect(serve.log().find((l) => l.msg === 'shutting down')).toMatchObject({ signal });
      // It no longer answers.
      await expect(fetch(`${serve.url}/healthz`)).rejects.toThrow();
    }
  });

  it('a port in use: exit 2 with a one-line error naming it, nothing on stdout', async () => {
    const port = new URL(env.remote.url).port;
    const dir = env.newClient('busy');
    const r = await runTac(['serve', '--port', port, '--db', join(dir.dataDir, 'tac.db')], dir.env, { timeoutMs: SERVE_START_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use.*\\n$`));
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('--tls-cert without --tls-key, or an unreadable one: exit 2', async () => {
    const dir = env.newClient('tls-usage');
    const db = join(dir.dataDir, 'tac.db');
    let r = await runTac(['serve', '--port', '0', '--db', db, '--tls-cert', env.file('only.pem', 'x')], dir.env, { timeoutMs: SERVE_START_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--tls-key/);
    r = await runTac(['serve', '--port', '0', '--db', db, '--tls-cert', env.newPath('missing.pem'), '--tls-key', env.newPath('missing.key')], dir.env, { timeoutMs: SERVE_START_TIMEOUT_MS });
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/^error: --tls-cert: cannot read /);
  });

  it('bad flags and a remote profile: exit 2 before listening', async () => {
    const dir = env.newClient('serve-usage');
    let r = await runTac(['serve', '--port', 'abc'], dir.env);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/^error: --port: /);
    r = await runTac(['serve', '--port', '0', '--token-rate-limit', '0'], dir.env);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/^error: --token-rate-limit: /);
    // A client whose current profile is a server has no database to serve unless --db says so.
    expect((await runTac(['config', 'set', 'server', env.remote.url], dir.env)).code).toBe(0);
    r = await runTac(['serve', '--port', '0'], dir.env);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--db/);
    expect(r.stdout).toBe('');
  });

  it.skipIf(!hasOpenssl)(`TLS: --tls-cert/--tls-key serve https:// and /healthz answers over TLS${hasOpenssl ? '' : ' (skipped: openssl not installed)'}`, async () => {
    const cert = env.newPath('tls/cert.pem');
    const key = env.newPath('tls/key.pem');
    execFileSync('mkdir', ['-p', join(cert, '..')]);
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' });
    const { serve, dir, dbEnv } = await ownServer('tls', ['--tls-cert', cert, '--tls-key', key]);
    try {
      expect(serve.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(serve.log()[0]).toMatchObject({ msg: 'listening', url: serve.url, tls: true });
      const ca = readFileSync(cert);
      const body = await new Promise<{ status: number; text: string; protocol: string }>((resolve, reject) => {
        const req = httpsRequest(`${serve.url}/healthz`, { ca }, (res) => {
          const protocol = (res.socket as TLSSocket).getProtocol() ?? '';
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode!, text, protocol }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(body.status).toBe(200);
      expect(JSON.parse(body.text)).toEqual({ status: 'ok' });
      expect(body.protocol).toMatch(/^TLS/);

      // The CLI does not trust a self-signed certificate: exit 7 saying so...
      const agent = await createAgent(dbEnv, 'tls-desk', 'helpdesk');
      const creds = { TAC_SERVER: serve.url, TAC_CLIENT_ID: agent.clientId, TAC_CLIENT_SECRET: agent.clientSecret };
      const untrusted = await runTac(['whoami'], { ...dir.env, ...creds });
      expect(untrusted.code, describeRun(untrusted)).toBe(7);
      expect(untrusted.stderr).toMatch(/^error: cannot reach the tac server at https:.*TLS certificate not trusted/);
      // ...and works once the certificate is trusted.
      const trusted = await runTac(['whoami', '--json'], { ...dir.env, ...creds, NODE_EXTRA_CA_CERTS: cert });
      expect(trusted.code, describeRun(trusted)).toBe(0);
      expect(JSON.parse(trusted.stdout)).toMatchObject({ server: serve.url, agent: 'tls-desk', role: 'helpdesk' });
    } finally {
      const { code } = await serve.stop();
      expect(code).toBe(0);
    }
  });
}, { only: SERVED });
