import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createAgent, describeRun, localDirs, runTac, SERVE_START_TIMEOUT_MS, startServe, type AgentCreds, type ServeProcess } from './helpers/tac.js';

/** A real `tac serve` process: per-address limits behind a reverse proxy (--trust-proxy). */

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
