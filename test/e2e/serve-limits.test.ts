import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createAgent, describeRun, localDirs, runTac, SERVE_START_TIMEOUT_MS, startServe, type AgentCreds, type ServeProcess } from './helpers/tac.js';

/** A real `tac serve` process: per-address limits behind a reverse proxy, slow clients, connection caps. */

const root = mkdtempSync(join(tmpdir(), 'tac-e2e-serve-limits-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const running: ServeProcess[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

let n = 0;
/** A server on a fresh database with one helpdesk agent. */
async function serve(args: string[]): Promise<{ serve: ServeProcess; agent: AgentCreds; env: Record<string, string> }> {
  const dirs = localDirs(join(root, `s${++n}`));
  const agent = await createAgent(dirs.env, `desk-${n}`, 'helpdesk');
  const s = await startServe(['--port', '0', ...args], dirs.env);
  running.push(s);
  return { serve: s, agent, env: dirs.env };
}

/** A token request as a proxy would forward it, for the client at `forwardedFor`. */
async function token(url: string, clientId: string, secret: string, forwardedFor: string): Promise<{ status: number; description: string }> {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      'x-forwarded-for': forwardedFor,
    },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.json()) as { error_description?: string };
  return { status: res.status, description: body.error_description ?? '' };
}

const failureAddresses = async (s: ServeProcess) => {
  await s.flushLog();
  return s.log().filter((l) => l.msg === 'token request refused: client authentication failed').map((l) => l.address);
};

describe('tac serve --trust-proxy', { timeout: 60_000 }, () => {
  it('from a trusted proxy, token failures and rate limits count per X-Forwarded-For client address', async () => {
    const { serve: s, agent } = await serve(['--trust-proxy', '127.0.0.1', '--token-rate-limit', '12']);
    expect(s.log()[0]).toMatchObject({ msg: 'listening', trustProxy: ['127.0.0.1'] });
    for (let i = 0; i < 10; i++) expect((await token(s.url, agent.clientId, 'tacsec_wrong', '1.2.3.4')).status).toBe(401);
    // 1.2.3.4 is locked out for this client, even with the right secret...
    for (let i = 0; i < 2; i++) {
      expect(await token(s.url, agent.clientId, agent.clientSecret, '1.2.3.4')).toEqual({ status: 429, description: expect.stringMatching(/^too many failed attempts/) });
    }
    // ...and has used up its token requests for the minute (12)...
    expect(await token(s.url, agent.clientId, agent.clientSecret, '1.2.3.4')).toEqual({ status: 429, description: expect.stringMatching(/^too many requests/) });
    // ...while the agent behind the same proxy at another address gets its token.
    expect((await token(s.url, agent.clientId, agent.clientSecret, '5.6.7.8')).status).toBe(200);
    expect(await failureAddresses(s)).toEqual(Array(10).fill('1.2.3.4'));
  });

  it('without it, X-Forwarded-For is ignored: every failure counts against the peer address', async () => {
    const { serve: s, agent } = await serve([]);
    expect(s.log()[0]).toMatchObject({ msg: 'listening', trustProxy: false });
    for (let i = 0; i < 10; i++) expect((await token(s.url, agent.clientId, 'tacsec_wrong', `1.2.3.${i}`)).status).toBe(401);
    expect((await token(s.url, agent.clientId, agent.clientSecret, '5.6.7.8')).status).toBe(429);
    expect(await failureAddresses(s)).toEqual(Array(10).fill('127.0.0.1'));
  });

  it('a value that would trust every peer, or is no address: exit 2 with one line naming the flag or variable', async () => {
    const dirs = localDirs(join(root, 'usage'));
    for (const [args, env, source] of [
      [['--trust-proxy', 'true'], {}, '--trust-proxy'],
      [['--trust-proxy', '1'], {}, '--trust-proxy'],
      [['--trust-proxy', '10.0.0.0/8,proxy.example.com'], {}, '--trust-proxy'],
      [[], { TAC_TRUST_PROXY: '0.0.0.0/0' }, 'TAC_TRUST_PROXY'],
    ] as const) {
      const r = await runTac(['serve', '--port', '0', ...args], { ...dirs.env, ...env }, { timeoutMs: SERVE_START_TIMEOUT_MS });
      expect(r.code, describeRun(r)).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^error: ${source}: ".*" is not allowed; list the proxies' addresses or CIDR ranges.*\\n$`));
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});

/** A raw TCP connection to the server: what it received, and a promise of its close. */
async function raw(url: string): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  let received = '';
  socket.setEncoding('latin1').on('data', (d: string) => (received += d));
  socket.on('error', () => {}); // a reset is a close too
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return { socket, received: () => received, closed };
}

/**
 * Writes one chunk every 200 ms until the connection closes or the chunks run out (then the
 * request is complete and would be answered: a test that expects 408 fails).
 */
async function drip(c: Awaited<ReturnType<typeof raw>>, chunks: string[]): Promise<void> {
  const timer = setInterval(() => c.socket.writable && chunks.length && c.socket.write(chunks.shift()!), 200);
  try {
    await c.closed;
  } finally {
    clearInterval(timer);
  }
}

/** A refusal Node makes before any route runs is problem+json like every other error. */
function expectProblem(response: string, status: number): void {
  const [head, body] = response.split('\r\n\r\n');
  expect(head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/i);
  expect(JSON.parse(body!)).toMatchObject({ status, code: 'usage', type: 'urn:tac:problem:usage', detail: expect.stringMatching(/not received in time/) });
}

const GET_HEALTHZ = 'GET /healthz HTTP/1.1\r\nHost: tac\r\n\r\n';

describe('tac serve: slow clients and connections per address', { timeout: 60_000 }, () => {
  it('a body dripped slower than --request-timeout gets 408 and is closed; an idle connection closes after --keep-alive-timeout', async () => {
    const { serve: s } = await serve(['--request-timeout', '1s', '--headers-timeout', '1s', '--keep-alive-timeout', '1s']);
    const slow = await raw(s.url);
    slow.socket.write('POST /oauth/token HTTP/1.1\r\nHost: tac\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n');
    await drip(slow, Array<string>(100).fill('a'));
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
    expectProblem(slow.received(), 408);

    const idle = await raw(s.url);
    idle.socket.write(GET_HEALTHZ);
    await idle.closed;
    expect(idle.received()).toMatch(/^HTTP\/1\.1 200 [^]*\r\nKeep-Alive: timeout=1\r\n/i);
  });

  it('headers dripped slower than --headers-timeout get 408 and are closed, well before the request timeout', async () => {
    const { serve: s } = await serve(['--headers-timeout', '1s', '--request-timeout', '1h']);
    const slow = await raw(s.url);
    slow.socket.write('GET /healthz HTTP/1.1\r\nHost: tac\r\n');
    await drip(slow, [...Array<string>(99).fill('X-Slow: a\r\n'), '\r\n']);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
    expectProblem(slow.received(), 408);
  });

  it('closes connections beyond --max-connections-per-address at once, logs a warning, and accepts again once one closes', async () => {
    const { serve: s } = await serve(['--max-connections-per-address', '3', '--keep-alive-timeout', '30s']);
    // Three connections, each kept alive after a request.
    const open = [await raw(s.url), await raw(s.url), await raw(s.url)];
    for (const c of open) c.socket.write(GET_HEALTHZ);
    await waitFor(() => open.every((c) => /^HTTP\/1\.1 200 /.test(c.received())), 'three responses');
    const fourth = await raw(s.url);
    await fourth.closed;
    expect(fourth.received()).toBe('');
    // The first three still work.
    open[0]!.socket.write(GET_HEALTHZ);
    await waitFor(() => (open[0]!.received().match(/HTTP\/1\.1 200 /g) ?? []).length === 2, 'a second response');
    open[1]!.socket.destroy();
    // The server sees the close a moment later: then a new connection is served.
    await waitFor(async () => {
      const c = await raw(s.url);
      c.socket.write(GET_HEALTHZ);
      await Promise.race([c.closed, new Promise((r) => setTimeout(r, 500))]);
      c.socket.destroy();
      return /^HTTP\/1\.1 200 /.test(c.received());
    }, 'a connection accepted after one closed');
    for (const c of open) c.socket.destroy();
    // The server sees those closes a moment later; until then a new connection is over the cap.
    await waitFor(async () => {
      try {
        await (await fetch(`${s.url}/healthz`)).arrayBuffer();
        return true;
      } catch {
        return false;
      }
    }, 'the closed connections released');
    await s.flushLog();
    expect(s.log()).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'connection refused: too many open connections from one address', address: '127.0.0.1', max: 3 }));
  });

  it('bad timeouts and caps: exit 2 with one line naming the flag, before listening', async () => {
    const dirs = localDirs(join(root, 'usage-timeouts'));
    for (const [args, message] of [
      [['--request-timeout', '30'], /^error: --request-timeout: "30" is not allowed; use a duration with a unit from 1s to 1h/],
      [['--keep-alive-timeout', '0s'], /^error: --keep-alive-timeout: "0s" is not allowed/],
      [['--headers-timeout', '40s'], /^error: --headers-timeout: 40s is longer than --request-timeout \(30s\); it must not be$/],
      [['--max-connections-per-address', '0'], /^error: --max-connections-per-address: "0" is not allowed; use a whole number from 1 to 1000000$/],
    ] as const) {
      const r = await runTac(['serve', '--port', '0', ...args], dirs.env, { timeoutMs: SERVE_START_TIMEOUT_MS });
      expect(r.code, describeRun(r)).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr.trimEnd()).toMatch(message);
    }
  });
});

/** Polls `ok` until it holds; fails after 15 s (a wait, not a timing assertion). */
async function waitFor(ok: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
