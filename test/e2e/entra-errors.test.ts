import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startEntraFake } from '../fakes/entra.js';
import { useEntraFake } from './helpers/entra.js';
import { describeRun, filesUnder, type RunResult } from './helpers/tac.js';

/** How Entra's refusals and failures reach the agent: one line, the documented exit code; CI without login; no secret anywhere. */

const { fake, cert, client } = useEntraFake();
const line = (r: RunResult) => {
  expect(r.stderr.trimEnd().split('\n'), describeRun(r)).toHaveLength(1);
  return r.stderr;
};
const ALL_ROLES = ['UserAuthenticationMethod.ReadWrite.All', 'User.Read.All', 'Policy.ReadWrite.AuthenticationMethod'];
const postCount = async () => (await fake().requests()).filter((q) => q.method === 'POST' && q.path.endsWith('/temporaryAccessPassMethods')).length;

describe('entra: errors', () => {
  it('an expired token is renewed without a word; 401 twice: exit 4 with Graph\'s reason', async () => {
    const c = client('401');
    expect((await c.login()).code).toBe(0);
    await fake().expireTokens();
    const renewed = await c.tac(['users', 'show', 'alice@contoso.com']);
    expect(renewed.code, describeRun(renewed)).toBe(0);
    expect(renewed.stderr).toBe('');
    await fake().fail(401, { path: '/v1.0/users', times: 2 });
    const r = await c.tac(['users', 'show', 'alice@contoso.com']);
    expect(r.code, describeRun(r)).toBe(4);
    expect(line(r)).toMatch(/^error: entra at http:\/\/127\.0\.0\.1:\d+ refused the access token for looking up the user: Injected HTTP 401\.; run tac login --provider entra\n$/);
  });

  it('403: exit 4 naming the application permission each call needs; without policy read, generate leaves the policy check to Graph', async () => {
    const c = client('403');
    expect((await c.login()).code).toBe(0);
    const withRoles = async (roles: string[]) => {
      await fake().setRoles(roles);
      await fake().expireTokens();
    };
    try {
      await withRoles(['User.Read.All', 'Policy.ReadWrite.AuthenticationMethod']);
      const gen = await c.tac(['generate', '--user', 'alice@contoso.com', '--verified-by', 'callback']);
      expect(gen.code, describeRun(gen)).toBe(4);
      expect(line(gen)).toMatch(/refused listing Temporary Access Passes \(accessDenied\): the app needs the application permission UserAuthenticationMethod\.ReadWrite\.All with admin consent/);
      await withRoles(['UserAuthenticationMethod.ReadWrite.All', 'Policy.ReadWrite.AuthenticationMethod']);
      const show = await c.tac(['users', 'show', 'alice@contoso.com', '--debug']);
      expect(show.code).toBe(4);
      expect(show.stderr).toMatch(/^error: .*\(Authorization_RequestDenied\): the app needs the application permission User\.Read\.All with admin consent .*\nrequest id: [0-9a-f-]{36}\n$/);
      await withRoles(['UserAuthenticationMethod.ReadWrite.All', 'User.Read.All']);
      const set = await c.tac(['policy', 'set', '--length', '10']);
      expect(set.code).toBe(4);
      expect(line(set)).toContain('the app needs the application permission Policy.ReadWrite.AuthenticationMethod');
      // The policy is unreadable: tac does not refuse a --ttl it cannot check, Graph does (400: exit 5, its reason).
      const ttl = await c.tac(['generate', '--user', 'alice@contoso.com', '--verified-by', 'callback', '--ttl', '30m']);
      expect(ttl.code, describeRun(ttl)).toBe(5);
      expect(line(ttl)).toContain('refused creating a Temporary Access Pass (badRequest): The lifetime is outside the range the Temporary Access Pass policy allows.');
      expect((await c.tac(['generate', '--user', 'alice@contoso.com', '--verified-by', 'callback'])).code).toBe(0);
    } finally {
      await withRoles(ALL_ROLES);
    }
  });

  it('404 on the POST (the user went away meanwhile): exit 3, one line', async () => {
    const c = client('404');
    expect((await c.login()).code).toBe(0);
    await fake().fail(404, { path: '/v1.0/users/', method: 'POST' });
    const r = await c.tac(['generate', '--user', 'alice@contoso.com', '--verified-by', 'callback']);
    expect(r.code, describeRun(r)).toBe(3);
    expect(line(r)).toBe('error: user "alice@contoso.com" not found in entra\n');
  });

  it('429 on the POST is waited out after Retry-After and sent once more; a long ban: exit 5; a 503 on the POST is not sent again', async () => {
    const c = client('429');
    expect((await c.login()).code).toBe(0);
    const before = await postCount();
    await fake().fail(429, { path: '/v1.0/users/', method: 'POST', retryAfter: 1 });
    const r = await c.tac(['generate', '--user', 'bob@contoso.com', '--verified-by', 'callback']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toMatch(/^\S{8}\n$/);
    expect(await postCount()).toBe(before + 2);
    await fake().fail(429, { path: '/v1.0/users', retryAfter: 120 });
    const ban = await c.tac(['users', 'show', 'bob@contoso.com']);
    expect(ban.code, describeRun(ban)).toBe(5);
    expect(line(ban)).toMatch(/is throttling requests \(HTTP 429\) for looking up the user; try again in 120 s\n$/);
    await fake().fail(503, { path: '/v1.0/users/', method: 'POST' });
    const unavailable = await c.tac(['generate', '--user', 'bob@contoso.com', '--verified-by', 'callback']);
    expect(unavailable.code, describeRun(unavailable)).toBe(7);
    expect(await postCount()).toBe(before + 3);
  });

  it('5xx: one line with Graph\'s request id (500 exit 1, 503 after the GET retries exit 7); nothing listening: exit 7', async () => {
    const c = client('5xx');
    expect((await c.login()).code).toBe(0);
    await fake().fail(500, { path: '/v1.0/users' });
    const r = await c.tac(['users', 'show', 'alice@contoso.com']);
    expect(r.code).toBe(1);
    expect(line(r)).toMatch(/failed looking up the user \(HTTP 500 generalException, request id [0-9a-f-]{36}\)\n$/);
    await fake().fail(503, { path: '/v1.0/users', times: 3 });
    const unavailable = await c.tac(['users', 'show', 'alice@contoso.com']);
    expect(unavailable.code).toBe(7);
    expect(line(unavailable)).toMatch(/failed looking up the user \(HTTP 503 serviceNotAvailable, request id [0-9a-f-]{36}\)\n$/);
    const gone = await startEntraFake();
    const url = gone.url;
    await gone.stop();
    const env = { TAC_PROVIDER: 'entra', TAC_SERVER: url, TAC_TOKEN_URL: `${url}/t/oauth2/v2.0/token`, TAC_CLIENT_ID: 'x', TAC_CLIENT_SECRET: 'y' };
    const down = await c.tac(['users', 'show', 'alice@contoso.com'], { env });
    expect(down.code, describeRun(down)).toBe(7);
    expect(line(down)).toBe(`error: cannot reach entra at ${url}: connection refused\n`);
  });

  it('an unknown tenant or app: exit 4 naming AADSTS90002 / AADSTS700016', async () => {
    const c = client('tenant');
    const tenant = await c.tac(['login', '--provider', 'entra', '--tenant', 'fabrikam.example', '--server', fake().url, '--token-url', fake().tokenUrl.replace(fake().tenant, 'fabrikam.example'),
      '--client-id', fake().clientId, '--client-secret-stdin'], { stdin: `${fake().clientSecret}\n` });
    expect(tenant.code, describeRun(tenant)).toBe(4);
    expect(line(tenant)).toContain('(AADSTS90002): no such tenant: check --tenant');
    const app = await c.tac(['login', '--provider', 'entra', '--tenant', fake().tenant, '--server', fake().url, '--token-url', fake().tokenUrl,
      '--client-id', '00000000-0000-4000-8000-000000000000', '--client-secret-stdin'], { stdin: `${fake().clientSecret}\n` });
    expect(app.code).toBe(4);
    expect(line(app)).toContain('(AADSTS700016): no app with this client id in the tenant');
  });
});

describe('entra: CI without login, and secrets', () => {
  it('TAC_PROVIDER=entra with TAC_TENANT, TAC_CLIENT_ID and TAC_CLIENT_SECRET or TAC_PRIVATE_KEY_FILE: nothing stored but the audit trail; no pass, secret or key in any file or other output', async () => {
    const c = client('ci');
    const base = { TAC_PROVIDER: 'entra', TAC_SERVER: fake().url, TAC_TOKEN_URL: fake().tokenUrl, TAC_TENANT: fake().tenant, TAC_CLIENT_ID: fake().clientId };
    const secretEnv = { ...base, TAC_CLIENT_SECRET: fake().clientSecret };
    const keyEnv = { ...base, TAC_PRIVATE_KEY_FILE: cert.file };
    const codes: string[] = [];
    const others: RunResult[] = [];
    const issue = async (env: Record<string, string>, user: string) => {
      const r = await c.tac(['generate', '--user', user, '--verified-by', 'callback', '--json'], { env });
      expect(r.code, describeRun(r)).toBe(0);
      codes.push(JSON.parse(r.stdout).code);
    };
    await issue(secretEnv, 'alice@contoso.com');
    await issue(keyEnv, 'bob@contoso.com');
    for (const env of [secretEnv, keyEnv]) {
      others.push(await c.tac(['users', 'show', 'alice@contoso.com'], { env }), await c.tac(['list', '--user', 'alice', '--json'], { env }));
      others.push(await c.tac(['whoami', '--json'], { env }), await c.tac(['audit', '--json'], { env }), await c.tac(['policy', 'show'], { env }));
    }
    others.push(await c.tac(['users', 'show', 'nobody@contoso.com', '--debug'], { env: secretEnv }));
    const host = new URL(fake().url).host.replace(':', '_');
    const files = filesUnder(c.root);
    expect(files.map((f) => f.slice(c.root.length))).toEqual([`/xdg-data/tac/audit-${host}.jsonl`]);
    const keyBody = cert.keyPem.split('\n')[1]!;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const secret of [...codes, fake().clientSecret, keyBody]) expect(text, f).not.toContain(secret);
    }
    for (const r of others) {
      expect(r.code, describeRun(r)).toBe(r.args.includes('nobody@contoso.com') ? 3 : 0);
      for (const secret of [...codes, fake().clientSecret, keyBody]) expect(r.stdout + r.stderr, describeRun(r)).not.toContain(secret);
    }
  });
});
