import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startOktaFake } from '../fakes/okta.js';
import { useOktaFake } from './helpers/okta.js';
import { describeRun, filesUnder, type RunResult } from './helpers/tac.js';

/** How Okta's refusals and failures reach the agent: one line, the documented exit code; DPoP; CI without login. */

const { fake, client } = useOktaFake();
const dpop = useOktaFake({ env: { DPOP: '1' }, keyType: 'ec' });
const narrow = useOktaFake({ env: { SCOPES: 'okta.users.read okta.authenticators.read', KEY_ID: 'key-2026' } });
const line = (r: RunResult) => {
  expect(r.stderr.trimEnd().split('\n'), describeRun(r)).toHaveLength(1);
  return r.stderr;
};
const gen = ['generate', '--user', 'alice', '--verified-by', 'callback'];
const PERMISSION = 'okta.users.credentials.manageTemporaryAccessCode';

const tmp = mkdtempSync(join(tmpdir(), 'tac-okta-keys-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('okta: errors', () => {
  it('401: an API token gets no second try (exit 4); a service app\'s expired token is renewed without a word', async () => {
    const c = client('401');
    expect((await c.loginToken()).code).toBe(0);
    await fake().fail(401, { path: '/api/v1/users/' });
    const r = await c.tac(['users', 'show', 'alice']);
    expect(r.code, describeRun(r)).toBe(4);
    expect(line(r)).toMatch(/refused the API token for looking up the user: Invalid token provided; run tac login --provider okta\n$/);
    const k = client('401key');
    expect((await k.loginKey()).code).toBe(0);
    await fake().expireTokens();
    const renewed = await k.tac(['users', 'show', 'alice']);
    expect(renewed.code, describeRun(renewed)).toBe(0);
    expect(renewed.stderr).toBe('');
  });

  it('403 names the admin permission (API token) or the scope and permission (service app): exit 4; --debug adds the request id', async () => {
    const c = client('403');
    expect((await c.loginToken()).code).toBe(0);
    await fake().fail(403, { path: '/api/v1/users/', method: 'POST' });
    const r = await c.tac(gen);
    expect(r.code, describeRun(r)).toBe(4);
    expect(line(r)).toMatch(new RegExp(`refused issuing a TAC: You do not have permission to perform the requested action: the admin who created the API token needs an admin role with the permission ${PERMISSION}\\n$`));
    await fake().fail(403, { path: '/api/v1/users/', method: 'POST' });
    const debug = await c.tac([...gen, '--debug']);
    expect(debug.code).toBe(4);
    expect(debug.stderr).toMatch(/^error: .*\nrequest id: req[0-9a-f]{16}\n$/);
    const k = client('403key');
    expect((await k.loginKey()).code).toBe(0);
    await fake().fail(403, { path: '/api/v1/users/', method: 'POST' });
    const app = await k.tac(gen);
    expect(app.code).toBe(4);
    expect(line(app)).toContain(`the app needs the scope okta.users.manage granted and an admin role with the permission ${PERMISSION}`);
  });

  it('429 waits until X-Rate-Limit-Reset (by the response\'s Date) and sends the issuing POST again; a long ban is exit 5', async () => {
    const c = client('429');
    expect((await c.loginToken()).code).toBe(0);
    const posts = async () => (await fake().requests()).filter((q) => q.method === 'POST').length;
    const before = await posts();
    await fake().fail(429, { path: '/api/v1/users/', method: 'POST', resetIn: 1 });
    const t0 = Date.now();
    const r = await c.tac(gen);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout.trim()).toHaveLength(16);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(await posts()).toBe(before + 2);
    await fake().fail(429, { path: '/api/v1/users', resetIn: 120 });
    const ban = await c.tac(['users', 'show', 'alice']);
    expect(ban.code, describeRun(ban)).toBe(5);
    expect(line(ban)).toMatch(/is limiting requests \(HTTP 429\) for looking up the user; try again in 12[01] s\n$/);
  });

  it('5xx: one line with X-Okta-Request-Id (500 exit 1, 503 exit 7); unknown user exit 3', async () => {
    const c = client('5xx');
    expect((await c.loginToken()).code).toBe(0);
    await fake().fail(500, { path: '/api/v1/users' });
    const r = await c.tac(['users', 'show', 'alice']);
    expect(r.code).toBe(1);
    expect(line(r)).toMatch(/failed looking up the user \(HTTP 500, request id req[0-9a-f]{16}\)\n$/);
    await fake().fail(503, { path: '/api/v1/users', times: 3 });
    const unavailable = await c.tac(['users', 'show', 'alice']);
    expect(unavailable.code).toBe(7);
    expect(line(unavailable)).toMatch(/\(HTTP 503, request id req[0-9a-f]{16}\)\n$/);
    await fake().fail(404, { path: '/api/v1/users/', method: 'POST' });
    const gone = await c.tac(gen);
    expect(gone.code).toBe(3);
    expect(line(gone)).toBe('error: user "alice" not found in okta\n');
  });

  it('a key the app does not have is refused at the token endpoint (exit 4, one line); nothing is stored', async () => {
    const c = client('wrongkey');
    const file = join(tmp, 'other.pem');
    writeFileSync(file, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const r = await c.tac(['login', '--provider', 'okta', '--server', fake().url, '--client-id', fake().clientId, '--private-key-file', file]);
    expect(r.code, describeRun(r)).toBe(4);
    expect(line(r)).toMatch(/^error: okta at .*\/oauth2\/v1\/token rejected client demo-okta-client: The client_assertion is invalid: .*; check the client id, the private key and its key id/);
    expect(filesUnder(c.root)).toEqual([]);
  });
});

describe('okta: service app settings', () => {
  it('the app\'s key id is sent as kid (--key-id); scopes not granted are named (exit 4)', async () => {
    const c = client('kid');
    const noKid = await c.tac(['login', '--provider', 'okta', '--server', narrow.fake().url, '--client-id', narrow.fake().clientId, '--private-key-file', narrow.fake().privateKeyFile]);
    expect(noKid.code, describeRun(noKid)).toBe(4);
    expect(line(noKid)).toContain('kid (none) does not match a registered key');
    const scopes = await c.tac(['login', '--provider', 'okta', '--server', narrow.fake().url, '--client-id', narrow.fake().clientId, '--private-key-file', narrow.fake().privateKeyFile, '--key-id', 'key-2026']);
    expect(scopes.code, describeRun(scopes)).toBe(4);
    expect(line(scopes)).toContain('refused the scopes okta.users.read okta.users.manage okta.authenticators.read okta.authenticators.manage for client demo-okta-client: The following scopes are not allowed: [okta.users.manage, okta.authenticators.manage]; grant them to the app');
  });

  it('an org requiring DPoP: tac answers use_dpop_nonce and the API\'s nonce with proofs; tokens bound to its key are never stored', async () => {
    const c = dpop.client('dpop');
    const r = await c.loginKey(['--json']);
    expect(r.code, describeRun(r)).toBe(0);
    const gen1 = await c.tac([...gen, '--json']);
    expect(gen1.code, describeRun(gen1)).toBe(0);
    expect(JSON.parse(gen1.stdout).code).toHaveLength(16);
    const list = await c.tac(['list', '--user', 'alice', '--json']);
    expect(list.code, describeRun(list)).toBe(0);
    const reqs = await dpop.fake().requests();
    const api = reqs.filter((q) => q.path.startsWith('/api/v1/'));
    expect(new Set(api.map((q) => q.auth))).toEqual(new Set(['DPoP']));
    expect(reqs.filter((q) => q.path === '/oauth2/v1/token').length).toBeGreaterThanOrEqual(3 * 3); // per process: no proof, no nonce, then the token
    const stored = filesUnder(c.root).filter((f) => f.includes('credentials'));
    expect(stored).toEqual([]);
  });
});

describe('okta: CI without login', () => {
  it('TAC_API_TOKEN, or TAC_CLIENT_ID + TAC_PRIVATE_KEY_FILE, with nothing stored but the audit trail', async () => {
    const c = client('ci');
    const base = { TAC_PROVIDER: 'okta', TAC_SERVER: fake().url };
    const show = await c.tac(['users', 'show', 'bob', '--json'], { env: { ...base, TAC_API_TOKEN: fake().apiToken } });
    expect(show.code, describeRun(show)).toBe(0);
    const issued = await c.tac(gen, { env: c.keyEnv() });
    expect(issued.code, describeRun(issued)).toBe(0);
    const host = new URL(fake().url).host.replace(':', '_');
    expect(filesUnder(c.root).map((f) => f.slice(c.root.length))).toEqual([`/xdg-data/tac/audit-${host}.jsonl`]);
    const wrong = await c.tac(['users', 'show', 'bob'], { env: { ...base, TAC_API_TOKEN: 'nope' } });
    expect(wrong.code).toBe(4);
    const gone = await startOktaFake();
    const url = gone.url;
    await gone.stop();
    const down = await c.tac(['users', 'show', 'bob'], { env: { TAC_PROVIDER: 'okta', TAC_SERVER: url, TAC_API_TOKEN: 'x' } });
    expect(down.code, describeRun(down)).toBe(7);
    expect(line(down)).toBe(`error: cannot reach okta at ${url}: connection refused\n`);
  });
});
