import { createHash, createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../fakes/entra-cert.js';
import { startEntraFake, type EntraFake } from '../fakes/entra.js';

/** The Entra contract fake refuses what Microsoft's docs do not describe, so tac cannot pass by being echoed. */

let fake: EntraFake;
let token: string;
const cert = makeCertificate();
beforeAll(async () => {
  fake = await startEntraFake({}, ['--cert', cert.file]);
});
afterAll(async () => {
  await fake.stop();
  rmSync(cert.dir, { recursive: true, force: true });
});

const SCOPE = 'https://graph.microsoft.com/.default';
const form = (fields: Record<string, string>, url = fake.tokenUrl) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
const graph = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${fake.url}/v1.0/${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
const aadsts = async (res: Response) => ((await res.json()) as { error_codes: number[] }).error_codes[0];

/** A client assertion as the identity platform's certificate-credentials page describes it. */
function assertion(over: { header?: Record<string, unknown>; claims?: Record<string, unknown> } = {}): string {
  const der = new X509Certificate(cert.certPem).raw;
  const header = { alg: 'RS256', typ: 'JWT', 'x5t#S256': createHash('sha256').update(der).digest('base64url'), ...over.header };
  const now = Math.floor(Date.now() / 1000);
  const claims = { aud: fake.tokenUrl, iss: fake.clientId, sub: fake.clientId, iat: now, nbf: now, exp: now + 300, jti: randomUUID(), ...over.claims };
  const data = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${data}.${sign('sha256', Buffer.from(data), createPrivateKey(cert.keyPem)).toString('base64url')}`;
}
const withAssertion = (a: string) => ({ grant_type: 'client_credentials', client_id: fake.clientId, scope: SCOPE, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a });

describe('Entra fake: token endpoint', () => {
  it('takes a form with client_credentials, the .default scope and the client secret; answers a JWT whose roles are the app permissions', async () => {
    const good = { grant_type: 'client_credentials', client_id: fake.clientId, scope: SCOPE, client_secret: fake.clientSecret };
    const res = await form(good);
    expect(res.status).toBe(200);
    const json = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(Object.keys(json).sort()).toEqual(['access_token', 'expires_in', 'ext_expires_in', 'token_type']);
    token = json.access_token;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims.roles).toEqual(['UserAuthenticationMethod.ReadWrite.All', 'User.Read.All', 'Policy.ReadWrite.AuthenticationMethod']);
    const json400 = await fetch(fake.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(good) });
    expect(json400.status).toBe(400);
    expect(await aadsts(await form({ ...good, client_secret: 'wrong' }))).toBe(7000215);
    expect(await aadsts(await form({ ...good, client_id: 'nope' }))).toBe(700016);
    expect(await aadsts(await form({ ...good, scope: 'User.Read.All' }))).toBe(1002012);
    expect(await aadsts(await form({ ...good, resource: 'x' }))).toBe(900144);
    expect(await aadsts(await form(good, fake.tokenUrl.replace(fake.tenant, 'fabrikam.example')))).toBe(90002);
  });

  it('verifies a certificate assertion: signature, x5t#S256, aud, iss = sub, exp, a jti used once', async () => {
    const a = assertion();
    expect((await form(withAssertion(a))).status).toBe(200);
    expect(await aadsts(await form(withAssertion(a)))).toBe(700025); // replayed jti
    expect(await aadsts(await form(withAssertion(assertion({ claims: { aud: `${fake.url}/common/oauth2/v2.0/token` } }))))).toBe(700212);
    expect(await aadsts(await form(withAssertion(assertion({ claims: { iss: 'someone-else' } }))))).toBe(700021);
    expect(await aadsts(await form(withAssertion(assertion({ claims: { exp: Math.floor(Date.now() / 1000) - 10 } }))))).toBe(700024);
    expect(await aadsts(await form(withAssertion(assertion({ header: { 'x5t#S256': 'AAAA' } }))))).toBe(700027);
    expect(await aadsts(await form(withAssertion(assertion({ header: { 'x5t#S256': undefined } }))))).toBe(700027);
    const parts = assertion().split('.');
    const tampered = `${parts[0]}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()), sub: 'x' })).toString('base64url')}.${parts[2]}`;
    expect(await aadsts(await form(withAssertion(tampered)))).toBe(700027);
    const both = { ...withAssertion(assertion()), client_secret: fake.clientSecret };
    expect(await aadsts(await form(both))).toBe(7000218);
  });
});

describe('Entra fake: Graph', () => {
  const alice = '4a1c6f2e-1a2b-4c3d-8e9f-0a1b2c3d4e5f';

  it('refuses a missing or unknown bearer token (InvalidAuthenticationToken)', async () => {
    expect(await errorCode(await fetch(`${fake.url}/v1.0/users/${alice}`))).toBe('InvalidAuthenticationToken');
    expect(await errorCode(await fetch(`${fake.url}/v1.0/users/${alice}`, { headers: { authorization: 'Bearer made.up.token' } }))).toBe('InvalidAuthenticationToken');
  });

  it('users: accountEnabled only with $select; unknown properties, query options and filters it does not implement are 400', async () => {
    const plain = (await (await graph('GET', `users/${alice}`)).json()) as Record<string, unknown>;
    expect(plain.accountEnabled).toBeUndefined();
    const sel = await graph('GET', `users/alice@contoso.com?$select=id,accountEnabled`);
    expect(await sel.json()).toMatchObject({ id: alice, accountEnabled: true });
    expect(await errorCode(await graph('GET', `users/${alice}?$select=password`))).toBe('BadRequest');
    expect(await errorCode(await graph('GET', `users/${alice}?$expand=manager`))).toBe('BadRequest');
    expect(await errorCode(await graph('GET', 'users/nobody@contoso.com'))).toBe('Request_ResourceNotFound');
    const quoted = await graph('GET', `users?$filter=${encodeURIComponent("startswith(displayName,'pat o''b')")}&$select=id`);
    expect(((await quoted.json()) as { value: unknown[] }).value).toHaveLength(1);
    expect(await errorCode(await graph('GET', `users?$filter=${encodeURIComponent("mail ne 'x'")}`))).toBe('BadRequest');
    expect(await errorCode(await graph('GET', `users?$filter=${encodeURIComponent("startswith(jobTitle,'x')")}`))).toBe('Request_UnsupportedQuery');
    expect(await errorCode(await graph('GET', `users?$filter=${encodeURIComponent("mail eq 'unterminated")}`))).toBe('BadRequest');
  });

  it('passes: JSON with documented fields only, lifetime 10–43200 and within the policy; one pass per user; the code only at creation', async () => {
    const path = `users/${alice}/authentication/temporaryAccessPassMethods`;
    expect(await errorCode(await graph('POST', path, 'lifetimeInMinutes=60', { 'content-type': 'application/x-www-form-urlencoded' }))).toBe('UnsupportedMediaType');
    expect(await errorCode(await graph('POST', path, { lifetimeInMinutes: 60, length: 12 }))).toBe('BadRequest');
    expect(await errorCode(await graph('POST', path, { lifetimeInMinutes: 5 }))).toBe('badRequest');
    expect(await errorCode(await graph('POST', path, { lifetimeInMinutes: 43201 }))).toBe('badRequest');
    expect(await errorCode(await graph('POST', path, { lifetimeInMinutes: 600 }))).toBe('badRequest'); // policy max 480
    const first = await graph('POST', path, { lifetimeInMinutes: 60, isUsableOnce: true });
    expect(first.status).toBe(201);
    const p1 = (await first.json()) as { id: string; temporaryAccessPass: string; methodUsabilityReason: string };
    expect(p1.temporaryAccessPass).toMatch(/^.{8}$/);
    expect(p1.methodUsabilityReason).toBe('EnabledByPolicy');
    const p2 = (await (await graph('POST', path, {})).json()) as { id: string };
    const list = (await (await graph('GET', path)).json()) as { value: { id: string; temporaryAccessPass: null }[] };
    expect(list.value.map((p) => [p.id, p.temporaryAccessPass])).toEqual([[p2.id, null]]);
    expect((await graph('GET', `${path}/${p1.id}`)).status).toBe(404);
    expect((await graph('DELETE', `${path}/${p2.id}`)).status).toBe(204);
    expect(((await (await graph('GET', path)).json()) as { value: unknown[] }).value).toEqual([]);
  });

  it('policy: PATCH needs @odata.type, known fields and valid ranges, answers 204; permissions follow the token roles', async () => {
    const path = 'policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass';
    const type = { '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration' };
    expect(await errorCode(await graph('PATCH', path, { isUsableOnce: true }))).toBe('BadRequest');
    expect(await errorCode(await graph('PATCH', path, { ...type, minTtl: 10 }))).toBe('BadRequest');
    expect(await errorCode(await graph('PATCH', path, { ...type, maximumLifetimeInMinutes: 50000 }))).toBe('badRequest');
    expect(await errorCode(await graph('PATCH', path, { ...type, defaultLength: 7 }))).toBe('badRequest');
    expect(await errorCode(await graph('PATCH', path, { ...type, defaultLifetimeInMinutes: 30 }))).toBe('badRequest'); // below the minimum 60
    const ok = await graph('PATCH', path, { ...type, defaultLength: 12, isUsableOnce: true });
    expect(ok.status).toBe(204);
    expect(await (await graph('GET', path)).json()).toMatchObject({ id: 'TemporaryAccessPass', defaultLength: 12, isUsableOnce: true, state: 'enabled' });
    expect(await errorCode(await graph('POST', `users/${alice}/authentication/temporaryAccessPassMethods`, { isUsableOnce: false }))).toBe('badRequest');
    expect((await graph('DELETE', path)).status).toBe(204);
    await fake.setRoles(['User.Read.All']);
    const res = await form({ grant_type: 'client_credentials', client_id: fake.clientId, scope: SCOPE, client_secret: fake.clientSecret });
    token = ((await res.json()) as { access_token: string }).access_token;
    expect(await errorCode(await graph('PATCH', path, { ...type, isUsableOnce: false }))).toBe('Authorization_RequestDenied');
    expect(await errorCode(await graph('GET', `users/${alice}/authentication/temporaryAccessPassMethods`))).toBe('accessDenied');
    expect((await graph('GET', `users/${alice}`)).status).toBe(200);
  });
});
