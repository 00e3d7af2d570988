import { describe, expect, it } from 'vitest';
import { startMosaicFake } from '../fakes/mosaic.js';
import { useMosaicFake } from './helpers/mosaic.js';
import { describeRun, filesUnder, type RunResult } from './helpers/tac.js';

/** How Mosaic's refusals and failures reach the agent: one line, the documented exit code; CI without login. */

const { fake, client } = useMosaicFake();
const line = (r: RunResult) => {
  expect(r.stderr.trimEnd().split('\n'), describeRun(r)).toHaveLength(1);
  return r.stderr;
};

describe('mosaic: errors', () => {
  it('401 on the API even after a new token: exit 4; an expired token is renewed without a word', async () => {
    const c = client('401');
    expect((await c.login()).code).toBe(0);
    await fake().expireTokens();
    const renewed = await c.tac(['users', 'show', 'alice']);
    expect(renewed.code, describeRun(renewed)).toBe(0);
    expect(renewed.stderr).toBe('');
    await fake().fail(401, { path: '/cis/', times: 2 });
    const r = await c.tac(['users', 'show', 'alice']);
    expect(r.code, describeRun(r)).toBe(4);
    expect(line(r)).toMatch(/^error: mosaic at http:\/\/127\.0\.0\.1:\d+ refused the credentials for looking up the user: Unauthorized; run tac login --provider mosaic\n$/);
  });

  it('403: exit 4 naming the missing permission; 404 on issue: exit 3', async () => {
    const c = client('403');
    expect((await c.login()).code).toBe(0);
    await fake().fail(403, { path: '/cis/v1/auth/otp/send' });
    const r = await c.tac(['generate', '--user', 'alice', '--verified-by', 'callback']);
    expect(r.code, describeRun(r)).toBe(4);
    expect(line(r)).toContain('refused issuing a temp code: Forbidden resource: the app needs the management permission for it');
    await fake().fail(403, { path: '/cis/v1/auth/otp/send' });
    const debug = await c.tac(['generate', '--user', 'alice', '--verified-by', 'callback', '--debug']);
    expect(debug.code).toBe(4);
    expect(debug.stderr).toMatch(/^error: .*\nrequest id: req-[0-9a-f]+\n$/);
    await fake().fail(404, { path: '/cis/v1/auth/otp/send' });
    const gone = await c.tac(['generate', '--user', 'alice', '--verified-by', 'callback']);
    expect(gone.code).toBe(3);
    expect(line(gone)).toBe('error: user "alice" not found in mosaic\n');
  });

  it('429 is waited out after Retry-After (also for the POST that issues); a long ban or too many: exit 5', async () => {
    const c = client('429');
    expect((await c.login()).code).toBe(0);
    const sendCount = async () => (await fake().requests()).filter((q) => q.path === '/cis/v1/auth/otp/send').length;
    const before = await sendCount();
    await fake().fail(429, { path: '/cis/v1/auth/otp/send', retryAfter: 1 });
    const t0 = Date.now();
    const r = await c.tac(['generate', '--user', 'alice', '--verified-by', 'callback']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toMatch(/^\d{6}\n$/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(await sendCount()).toBe(before + 2);
    await fake().fail(429, { path: '/cis/v1/users', retryAfter: 120 });
    const ban = await c.tac(['users', 'show', 'alice']);
    expect(ban.code, describeRun(ban)).toBe(5);
    expect(line(ban)).toMatch(/is limiting requests \(HTTP 429\) for looking up the user; try again in 120 s\n$/);
  });

  it('5xx: one line with the request id (500 exit 1, 503 exit 7); nothing listening: exit 7', async () => {
    const c = client('5xx');
    expect((await c.login()).code).toBe(0);
    await fake().fail(500, { path: '/cis/v1/users' });
    const r = await c.tac(['users', 'show', 'alice']);
    expect(r.code).toBe(1);
    expect(line(r)).toMatch(/failed looking up the user \(HTTP 500, request id req-[0-9a-f]+\)\n$/);
    // A GET is tried three times over a 503 (the shared transport's retries), then exit 7.
    await fake().fail(503, { path: '/cis/v1/users', times: 3 });
    const unavailable = await c.tac(['users', 'show', 'alice']);
    expect(unavailable.code).toBe(7);
    expect(line(unavailable)).toMatch(/failed looking up the user \(HTTP 503, request id req-[0-9a-f]+\)\n$/);
    const gone = await startMosaicFake();
    const url = gone.url;
    await gone.stop();
    const down = await c.tac(['users', 'show', 'alice'], { env: { TAC_PROVIDER: 'mosaic', TAC_SERVER: url, TAC_CLIENT_ID: 'x', TAC_CLIENT_SECRET: 'y' } });
    expect(down.code, describeRun(down)).toBe(7);
    expect(line(down)).toBe(`error: cannot reach mosaic at ${url}: connection refused\n`);
  });
});

describe('mosaic: CI without login', () => {
  it('TAC_PROVIDER, TAC_SERVER, TAC_CLIENT_ID/SECRET (and TAC_TOKEN_URL) work with nothing stored but the audit trail', async () => {
    const c = client('ci');
    const env = { TAC_PROVIDER: 'mosaic', TAC_SERVER: fake().url, TAC_CLIENT_ID: fake().clientId, TAC_CLIENT_SECRET: fake().clientSecret };
    const show = await c.tac(['users', 'show', 'bob', '--json'], { env });
    expect(show.code, describeRun(show)).toBe(0);
    const gen = await c.tac(['generate', '--user', 'bob', '--verified-by', 'callback'], { env: { ...env, TAC_TOKEN_URL: fake().tokenUrl } });
    expect(gen.code, describeRun(gen)).toBe(0);
    const host = new URL(fake().url).host.replace(':', '_');
    expect(filesUnder(c.root).map((f) => f.slice(c.root.length))).toEqual([`/xdg-data/tac/audit-${host}.jsonl`]);
    const badToken = await c.tac(['users', 'show', 'bob'], { env: { ...env, TAC_TOKEN_URL: `${fake().url}/nowhere` } });
    expect(badToken.code).toBe(3);
    const wrong = await c.tac(['users', 'show', 'bob'], { env: { ...env, TAC_CLIENT_SECRET: 'nope' } });
    expect(wrong.code).toBe(4);
    const plainToken = await c.tac(['users', 'show', 'bob'], { env: { ...env, TAC_TOKEN_URL: 'http://login.example.com/oidc/token' } });
    expect(plainToken.code).toBe(2);
    expect(line(plainToken)).toBe('error: --token-url: refusing to send credentials over plain http:// to login.example.com; use https:// (or --insecure on a trusted network)\n');
    const noServer = await c.tac(['users', 'show', 'bob'], { env: { TAC_PROVIDER: 'mosaic' } });
    expect(noServer.code).toBe(2);
    expect(line(noServer)).toContain('TAC_PROVIDER=mosaic needs TAC_SERVER');
  });
});
