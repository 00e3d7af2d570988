import { createPrivateKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOktaFake, type OktaFake } from '../fakes/okta.js';

/** The Okta contract fake refuses what Okta's docs do not describe, so tac cannot pass by being echoed. */

let fake: OktaFake;
let dpopFake: OktaFake;
beforeAll(async () => {
  [fake, dpopFake] = await Promise.all([startOktaFake(), startOktaFake({ env: { DPOP: '1' }, keyType: 'ec' })]);
});
afterAll(() => Promise.all([fake.stop(), dpopFake.stop()]));

const SCOPES = 'okta.users.read okta.users.manage okta.authenticators.read okta.authenticators.manage';
const now = () => Math.floor(Date.now() / 1000);

async function assertion(f: OktaFake, claims: Record<string, unknown> = {}, key = createPrivateKey(readFileSync(f.privateKeyFile))) {
  const alg = key.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
  const payload = { iss: f.clientId, sub: f.clientId, aud: f.tokenUrl, iat: now(), exp: now() + 300, jti: randomUUID(), ...claims };
  for (const k of Object.keys(payload) as (keyof typeof payload)[]) if (payload[k] === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ alg }).sign(key);
}
const tokenRequest = (f: OktaFake, fields: Record<string, string>, headers: Record<string, string> = {}) => fetch(f.tokenUrl, {
  method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString(),
});
const form = async (f: OktaFake, over: Record<string, string> = {}) => ({
  grant_type: 'client_credentials', scope: SCOPES, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await assertion(f), ...over,
});
const oauthError = async (res: Response) => ((await res.json()) as { error: string; error_description: string });

describe('Okta fake: token endpoint (private_key_jwt)', () => {
  it('issues a Bearer token for a good assertion, with the granted scopes', async () => {
    const res = await tokenRequest(fake, await form(fake));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: SCOPES });
  });

  it('refuses another key, a wrong aud/iss/sub, no or a far exp, a reused jti, a client secret, a wrong form', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const expectRefused = async (fields: Record<string, string>, status: number, error: string, match?: RegExp) => {
      const res = await tokenRequest(fake, fields);
      expect(res.status).toBe(status);
      const body = await oauthError(res);
      expect(body.error).toBe(error);
      if (match) expect(body.error_description).toMatch(match);
    };
    await expectRefused(await form(fake, { client_assertion: await assertion(fake, {}, other) }), 401, 'invalid_client', /invalid/);
    await expectRefused(await form(fake, { client_assertion: await assertion(fake, { aud: `${fake.url}/oauth2/default/v1/token` }) }), 401, 'invalid_client');
    await expectRefused(await form(fake, { client_assertion: await assertion(fake, { iss: 'someone-else' }) }), 401, 'invalid_client');
    await expectRefused(await form(fake, { client_assertion: await assertion(fake, { sub: 'someone-else' }) }), 401, 'invalid_client');
    await expectRefused(await form(fake, { client_assertion: await assertion(fake, { exp: now() + 7200 }) }), 401, 'invalid_client', /too far/);
    await expectRefused(await form(fake, { client_assertion: await assertion(fake, { exp: now() - 60 }) }), 401, 'invalid_client');
    await expectRefused(await form(fake, { client_assertion: await assertion(fake, { exp: undefined }) }), 401, 'invalid_client', /no expiration/);
    await expectRefused(await form(fake, { client_assertion: await assertion(fake, { jti: undefined }) }), 401, 'invalid_client', /jti/);
    const once = await assertion(fake);
    expect((await tokenRequest(fake, await form(fake, { client_assertion: once }))).status).toBe(200);
    await expectRefused(await form(fake, { client_assertion: once }), 401, 'invalid_client', /reused jti/);
    await expectRefused({ ...(await form(fake)), client_secret: 's' }, 401, 'invalid_client');
    await expectRefused(await form(fake, { grant_type: 'password' }), 400, 'unsupported_grant_type');
    await expectRefused(await form(fake, { client_assertion_type: 'x' }), 400, 'invalid_request');
    await expectRefused({ ...(await form(fake)), audience: 'x' }, 400, 'invalid_request');
    const json = await fetch(fake.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(await form(fake)) });
    expect(json.status).toBe(400);
  });

  it('names scopes the app was not granted (invalid_scope)', async () => {
    const res = await tokenRequest(fake, await form(fake, { scope: 'okta.users.read okta.groups.manage' }));
    expect(res.status).toBe(400);
    expect(await oauthError(res)).toEqual({ error: 'invalid_scope', error_description: 'The following scopes are not allowed: [okta.groups.manage]' });
  });

  it('a token only reaches what its scopes allow (403 E0000006)', async () => {
    const t = (await (await tokenRequest(fake, await form(fake, { scope: 'okta.users.read' }))).json()) as { access_token: string };
    const get = await fetch(`${fake.url}/api/v1/users/alice`, { headers: { authorization: `Bearer ${t.access_token}` } });
    expect(get.status).toBe(200);
    const auths = await fetch(`${fake.url}/api/v1/authenticators`, { headers: { authorization: `Bearer ${t.access_token}` } });
    expect(auths.status).toBe(403);
    expect(await auths.json()).toMatchObject({ errorCode: 'E0000006' });
  });
});

describe('Okta fake: DPoP', () => {
  async function proof(key: CryptoKey, jwk: object, htu: string, claims: Record<string, unknown> = {}) {
    return new SignJWT({ htm: 'POST', htu, jti: randomUUID(), ...claims }).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).setIssuedAt().sign(key);
  }

  it('asks for a proof, then a nonce; binds the token to the key; the API wants DPoP with ath and its own nonce', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const none = await tokenRequest(dpopFake, await form(dpopFake));
    expect(await oauthError(none)).toMatchObject({ error: 'invalid_dpop_proof' });
    const noNonce = await tokenRequest(dpopFake, await form(dpopFake), { dpop: await proof(privateKey, jwk, dpopFake.tokenUrl) });
    expect(noNonce.status).toBe(400);
    expect((await oauthError(noNonce)).error).toBe('use_dpop_nonce');
    const nonce = noNonce.headers.get('dpop-nonce')!;
    expect(nonce).toBeTruthy();
    const wrongHtu = await tokenRequest(dpopFake, await form(dpopFake), { dpop: await proof(privateKey, jwk, `${dpopFake.url}/elsewhere`, { nonce }) });
    expect((await oauthError(wrongHtu)).error).toBe('invalid_dpop_proof');
    const ok = await tokenRequest(dpopFake, await form(dpopFake), { dpop: await proof(privateKey, jwk, dpopFake.tokenUrl, { nonce }) });
    expect(ok.status).toBe(200);
    const token = ((await ok.json()) as { access_token: string; token_type: string });
    expect(token.token_type).toBe('DPoP');
    const url = `${dpopFake.url}/api/v1/authenticators`;
    const asBearer = await fetch(url, { headers: { authorization: `Bearer ${token.access_token}` } });
    expect(asBearer.status).toBe(401);
    const { createHash } = await import('node:crypto');
    const ath = createHash('sha256').update(token.access_token).digest('base64url');
    const first = await fetch(url, { headers: { authorization: `DPoP ${token.access_token}`, dpop: await proof(privateKey, jwk, url, { htm: 'GET', ath }) } });
    expect(first.status).toBe(401);
    expect(first.headers.get('www-authenticate')).toContain('use_dpop_nonce');
    const rsNonce = first.headers.get('dpop-nonce')!;
    const noAth = await fetch(url, { headers: { authorization: `DPoP ${token.access_token}`, dpop: await proof(privateKey, jwk, url, { htm: 'GET', nonce: rsNonce }) } });
    expect(noAth.status).toBe(401);
    const other = await generateKeyPair('ES256');
    const otherKey = await fetch(url, { headers: { authorization: `DPoP ${token.access_token}`, dpop: await proof(other.privateKey, await exportJWK(other.publicKey), url, { htm: 'GET', ath, nonce: rsNonce }) } });
    expect(otherKey.status).toBe(401);
    const good = await proof(privateKey, jwk, url, { htm: 'GET', ath, nonce: rsNonce });
    expect((await fetch(url, { headers: { authorization: `DPoP ${token.access_token}`, dpop: good } })).status).toBe(200);
    expect((await fetch(url, { headers: { authorization: `DPoP ${token.access_token}`, dpop: good } })).status).toBe(401); // jti replayed
  });
});

describe('Okta fake: API', () => {
  const ssws = { authorization: 'SSWS demo-api-token' };
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${fake.url}${path}`, { method: 'POST', headers: { ...ssws, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const tacPath = '/api/v1/users/00ubob00000000000002/authenticator-enrollments/tac';
  const aut = 'aut8j8vbvcr5b4a8l0g7';

  it('refuses a missing or unknown API token (401 E0000011); users/me is the admin the token acts as', async () => {
    expect((await fetch(`${fake.url}/api/v1/users/me`)).status).toBe(401);
    const wrong = await fetch(`${fake.url}/api/v1/users/me`, { headers: { authorization: 'SSWS nope' } });
    expect(await wrong.json()).toMatchObject({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
    expect(await (await fetch(`${fake.url}/api/v1/users/me`, { headers: ssws })).json()).toMatchObject({ profile: { login: 'admin@example.com' } });
  });

  it('a TAC: the guide\'s body or the reference\'s; refuses other fields, a ttl outside the authenticator\'s range, a wrong type, multi-use when not allowed', async () => {
    const made = await post(tacPath, { authenticatorId: aut, authenticatorType: 'tac', config: { ttl: 60, multiUse: false } });
    expect(made.status).toBe(200);
    const e = (await made.json()) as { profile: { tac: string; expiresAt: string } };
    expect(e.profile.tac).toHaveLength(16);
    expect(e.profile.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect((await post(tacPath, { authenticatorId: aut, profile: { ttl: '30', multiUse: true } })).status).toBe(200);
    const refused = async (body: unknown, headers: Record<string, string> = {}) => {
      const r = await post(tacPath, body, headers);
      expect(r.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      return r;
    };
    expect(await (await refused({ authenticatorId: aut, config: { ttl: 5 } })).json()).toMatchObject({ errorCode: 'E0000001', errorCauses: [{ errorSummary: 'ttl: The TTL must be between 10 and 720 minutes.' }] });
    await refused({ authenticatorId: aut, config: { ttl: 60 }, note: 'x' });
    await refused({ authenticatorId: aut, config: { ttl: 60, code: '1234' } });
    await refused({ authenticatorId: 'autother', config: { ttl: 60 } });
    await refused({ authenticatorId: aut, authenticatorType: 'email', config: { ttl: 60 } });
    await refused({ authenticatorId: aut, config: { ttl: 60 }, profile: { ttl: 60 } });
    expect((await refused({ authenticatorId: aut }, { 'content-type': 'text/plain' })).status).toBe(415);
    const byLogin = await post('/api/v1/users/bob@example.com/authenticator-enrollments/tac', { authenticatorId: aut });
    expect(byLogin.status).toBe(404); // the path takes the user's id
  });

  it('policy: PUT takes the whole authenticator within the documented ranges, numbers always true', async () => {
    const a = (await (await fetch(`${fake.url}/api/v1/authenticators/${aut}`, { headers: ssws })).json()) as { provider: { configuration: Record<string, unknown> } };
    const put = (body: unknown) => fetch(`${fake.url}/api/v1/authenticators/${aut}`, { method: 'PUT', headers: { ...ssws, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const withConfig = (c: Record<string, unknown>) => ({ ...a, provider: { ...a.provider, configuration: { ...a.provider.configuration, ...c } } });
    expect((await put(withConfig({ maxTtl: 600 }))).status).toBe(200);
    for (const bad of [{ maxTtl: 20_000 }, { length: 7 }, { complexity: { numbers: false, letters: true } }, { minTtl: 700 }, { defaultTtl: 5 }, { colour: 'red' }]) {
      expect((await put(withConfig(bad))).status, JSON.stringify(bad)).toBe(400);
    }
    const { provider: _p, ...noProvider } = a as Record<string, unknown>;
    expect((await put(noProvider)).status).toBe(400);
    expect((await put({ ...a, settings: {} })).status).toBe(400);
  });

  it('users: search one documented clause, q prefix; an undocumented query parameter is refused', async () => {
    const search = await fetch(`${fake.url}/api/v1/users?search=${encodeURIComponent('profile.email eq "frank@example.com"')}`, { headers: ssws });
    expect(((await search.json()) as { id: string }[]).map((u) => u.id)).toEqual(['00ufrank0000000000006']);
    expect((await fetch(`${fake.url}/api/v1/users?email=frank@example.com`, { headers: ssws })).status).toBe(400);
    expect((await fetch(`${fake.url}/api/v1/groups`, { headers: ssws })).status).toBe(404);
    expect((await fetch(`${fake.url}/api/v1/users/me`, { method: 'PATCH', headers: ssws })).status).toBe(405);
    expect((await fetch(`${fake.url}/api/v1/users?search=${encodeURIComponent('profile.email eq frank')}`, { headers: ssws })).status).toBe(400);
  });
});
