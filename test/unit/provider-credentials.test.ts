import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { readSigningKey, signClientAssertion, thumbprint } from '../../src/backends/client-assertion.js';
import { splitTacId, tacId } from '../../src/backends/provider-ids.js';
import { checkTenant, defaultTokenUrl } from '../../src/backends/providers.js';
import { resolveTarget } from '../../src/cli/target.js';
import type { Globals } from '../../src/cli/context.js';

/** The credential plumbing every provider shares: key files, client assertions, TAC ids, which credential wins. */

const root = mkdtempSync(join(tmpdir(), 'tac-creds-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(root, name);
  writeFileSync(p, text, { mode: 0o600 });
  return p;
};
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPkcs1 = file('rsa1.pem', rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string);
const now = Date.parse('2026-12-02T12:00:00Z');

describe('readSigningKey', () => {
  it('reads PKCS#1 RSA and PKCS#8 EC P-256 keys with the matching algorithm', () => {
    expect(readSigningKey(rsaPkcs1).alg).toBe('RS256');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(readSigningKey(file('ec.pem', ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)).alg).toBe('ES256');
  });

  it('refuses, in one line naming the field, a missing file, a non-key, a short RSA key and another curve', () => {
    expect(() => readSigningKey(join(root, 'nope.pem'))).toThrow(/^--private-key-file: cannot read .*nope\.pem \(ENOENT\)$/);
    expect(() => readSigningKey(file('junk.pem', 'hello'), 'TAC_PRIVATE_KEY_FILE')).toThrow(/^TAC_PRIVATE_KEY_FILE: .* holds no PEM private key/);
    const short = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => readSigningKey(file('short.pem', short.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string))).toThrow(/shorter than 2048 bits/);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(() => readSigningKey(file('p384.pem', p384.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string))).toThrow(/use RSA .* or EC P-256/);
  });

  it('reads a certificate beside the key, and refuses one that is not the key\'s', () => {
    const dir = mkdtempSync(join(root, 'cert-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=tac-test'], { stdio: 'ignore' });
    const both = file('both.pem', `${execFileSync('cat', [key]).toString()}${execFileSync('cat', [cert]).toString()}`);
    const k = readSigningKey(both);
    expect(k.certificate?.subject).toContain('CN=tac-test');
    const other = file('other.pem', `${rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string}${execFileSync('cat', [cert]).toString()}`);
    expect(() => readSigningKey(other)).toThrow(/is not the private key's/);
  });
});

describe('signClientAssertion', () => {
  it('signs iss = sub = client id, aud, iat/nbf/exp 5 min, a fresh jti and the kid; verifiable with the public key', async () => {
    const key = readSigningKey(rsaPkcs1);
    const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256' };
    const a = await signClientAssertion(key, { clientId: '0oa1', audience: 'https://org.okta.com/oauth2/v1/token', now, keyId: 'k1' });
    const b = await signClientAssertion(key, { clientId: '0oa1', audience: 'https://org.okta.com/oauth2/v1/token', now, keyId: 'k1' });
    const { payload, protectedHeader } = await jwtVerify(a, createLocalJWKSet({ keys: [jwk] }), { audience: 'https://org.okta.com/oauth2/v1/token', currentDate: new Date(now) });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: 'k1' });
    expect(payload).toMatchObject({ iss: '0oa1', sub: '0oa1', iat: now / 1000, nbf: now / 1000, exp: now / 1000 + 300 });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    const other = await jwtVerify(b, createLocalJWKSet({ keys: [jwk] }), { currentDate: new Date(now) });
    expect(other.payload.jti).not.toBe(payload.jti);
  });

  it('x5t: names the certificate by its SHA-256 and SHA-1 thumbprints; without a certificate it is refused', async () => {
    const dir = mkdtempSync(join(root, 'x5t-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-days', '2', '-subj', '/CN=x'], { stdio: 'ignore' });
    const pem = file('x5t.pem', execFileSync('cat', [join(dir, 'k'), join(dir, 'c')]).toString());
    const key = readSigningKey(pem);
    const jwt = await signClientAssertion(key, { clientId: 'app', audience: 'https://login.microsoftonline.com/t/oauth2/v2.0/token', now, x5t: true });
    const header = decodeProtectedHeader(jwt);
    expect(header['x5t#S256']).toBe(thumbprint(key.certificate!, 'sha256'));
    expect(header.x5t).toBe(thumbprint(key.certificate!, 'sha1'));
    expect(header.x5t).toMatch(/^[A-Za-z0-9_-]{27}$/);
    await expect(signClientAssertion(readSigningKey(rsaPkcs1), { clientId: 'app', audience: 'x', now, x5t: true })).rejects.toThrow(/holds no certificate/);
  });
});

describe('provider TAC ids and tenants', () => {
  it('joins and splits <user id>:<method id>; anything else is one line naming id', () => {
    expect(splitTacId(tacId('00u1', 'tac9'), 'okta')).toEqual({ userId: '00u1', methodId: 'tac9' });
    for (const bad of ['tac9', ':tac9', '00u1:', 'a:b:c', '00u1:../x/y', 'a b:c']) expect(() => splitTacId(bad, 'okta')).toThrow(/^id: .* is not an? okta TAC id/);
  });

  it('a tenant is a GUID or a domain; entra\'s token URL is named by it', () => {
    expect(checkTenant('--tenant', '72f988bf-86f1-41af-91ab-2d7cd011db47')).toBe('72f988bf-86f1-41af-91ab-2d7cd011db47');
    expect(checkTenant('--tenant', ' contoso.onmicrosoft.com ')).toBe('contoso.onmicrosoft.com');
    for (const bad of ['contoso', 'a/b.com', '../x', '']) expect(() => checkTenant('--tenant', bad)).toThrow(/^--tenant: .* is not a tenant/);
    expect(defaultTokenUrl('entra' as never, 'https://graph.microsoft.com', 'contoso.onmicrosoft.com')).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
    expect(defaultTokenUrl('okta' as never, 'https://org.okta.com/')).toBe('https://org.okta.com/oauth2/v1/token');
  });
});

describe('which credential a command uses', () => {
  const globals = (): Globals => ({ json: false, color: false, debug: false });
  const envWith = (profile: Record<string, unknown>, extra: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(root, 'cfg-'));
    mkdirSync(join(dir, 'tac'), { recursive: true });
    writeFileSync(join(dir, 'tac', 'config.json'), JSON.stringify({ currentProfile: 'default', profiles: { default: { type: 'remote', server: 'https://org.okta.com', clientId: '', ...profile } } }));
    chmodSync(join(dir, 'tac', 'config.json'), 0o600);
    return { XDG_CONFIG_HOME: dir, XDG_DATA_HOME: join(dir, 'data'), HOME: dir, ...extra };
  };

  it('the profile\'s method when the environment sets none; a private key keeps its file and kid', () => {
    expect(resolveTarget(globals(), envWith({ provider: 'okta', auth: 'api_token' }))).toMatchObject({ auth: 'api_token' });
    expect(resolveTarget(globals(), envWith({ provider: 'okta', auth: 'private_key', clientId: '0oa1', privateKeyFile: '/k.pem', keyId: 'k1' })))
      .toMatchObject({ auth: 'private_key', clientId: '0oa1', privateKeyFile: '/k.pem', keyId: 'k1', tokenUrl: 'https://org.okta.com/oauth2/v1/token' });
    expect(resolveTarget(globals(), envWith({ provider: 'mosaic', clientId: 'c' }))).toMatchObject({ auth: 'client_secret' });
  });

  it('the environment wins, in the provider\'s preferred order; one the provider cannot take is not used', () => {
    const okta = { provider: 'okta', auth: 'private_key', clientId: '0oa1', privateKeyFile: '/k.pem' };
    expect(resolveTarget(globals(), envWith(okta, { TAC_API_TOKEN: 'ssws', TAC_PRIVATE_KEY_FILE: '/env.pem' }))).toMatchObject({ auth: 'api_token', envSecret: 'ssws' });
    expect(resolveTarget(globals(), envWith(okta, { TAC_PRIVATE_KEY_FILE: '/env.pem' }))).toMatchObject({ auth: 'private_key', privateKeyFile: '/env.pem' });
    // Okta takes no client secret: the profile's key is used, the stray secret is not sent anywhere.
    const t = resolveTarget(globals(), envWith(okta, { TAC_CLIENT_SECRET: 's' }));
    expect(t).toMatchObject({ auth: 'private_key', privateKeyFile: '/k.pem' });
    expect(t).not.toHaveProperty('envSecret');
    expect(resolveTarget(globals(), envWith({ provider: 'mosaic', clientId: 'c' }, { TAC_API_TOKEN: 'x', TAC_CLIENT_SECRET: 's' }))).toMatchObject({ auth: 'client_secret', envSecret: 's' });
  });

  it('TAC_TENANT names the tenant and the token URL; a bad one is refused naming TAC_TENANT', () => {
    const env = envWith({ provider: 'entra', server: 'https://graph.microsoft.com', clientId: 'app' }, { TAC_TENANT: 'contoso.onmicrosoft.com', TAC_CLIENT_SECRET: 's' });
    expect(resolveTarget(globals(), env)).toMatchObject({ tenant: 'contoso.onmicrosoft.com', tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token', auth: 'client_secret' });
    expect(() => resolveTarget(globals(), { ...env, TAC_TENANT: 'x/y' })).toThrow(/^TAC_TENANT: /);
  });
});
