import * as oauth from 'oauth4webapi';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_SCOPES } from '../../src/core/agents.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { bearer, describeEngines, makeServer, newDatabase, rawQuery, tempDb, type Creds, type ServerHarness } from './helpers.js';

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describeEngines('oauth', (engine) => {
  describe('POST /oauth/token (RFC 6749 §4.4 client credentials)', () => {
    let h: ServerHarness;
    let desk: Creds;
    beforeAll(async () => {
      h = await makeServer({ engine, tokenFailureLimit: { max: 3, windowMs: 60_000 }, tokenAddressFailureLimit: { max: 5, windowMs: 60_000 } });
      desk = await h.agent('helpdesk', 'desk');
    });
    afterAll(() => h.close());

    const token = (payload: Record<string, string>, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') =>
      h.app.inject({ method: 'POST', url: '/oauth/token', headers: { ...FORM, ...headers }, payload: form(payload), remoteAddress });

    it('issues a bearer token to a client authenticated by HTTP Basic', async () => {
      const res = await token({ grant_type: 'client_credentials' }, { authorization: basic(desk.clientId, desk.clientSecret) });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = res.json();
      expect(body).toEqual({ access_token: expect.stringMatching(/^tacat_/), token_type: 'Bearer', expires_in: 3600, scope: ROLE_SCOPES.helpdesk.join(' ') });
      const who = await h.app.inject({ url: '/v1/whoami', headers: bearer(body.access_token) });
      expect(who.json()).toEqual({
        clientId: desk.clientId, name: 'desk', role: 'helpdesk', scopes: [...ROLE_SCOPES.helpdesk], tokenExpiresAt: '2026-01-01T01:00:00.000Z',
      });
    });

    it('accepts client_id/client_secret in the body', async () => {
      const res = await token({ grant_type: 'client_credentials', client_id: desk.clientId, client_secret: desk.clientSecret });
      expect(res.statusCode).toBe(200);
      expect(res.json().token_type).toBe('Bearer');
    });

    it('stores tokens only hashed', async () => {
      const t = await h.token(desk);
      const rows = await rawQuery<{ token_hash: string }>(h.dbPath, 'SELECT token_hash FROM agent_tokens');
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true);
      // SQLite's files are ours to read; PostgreSQL's belong to its cluster (the rows above are what it stores).
      if (engine === 'sqlite') for (const f of [h.dbPath, `${h.dbPath}-wal`]) expect(readFileSync(f).includes(t)).toBe(false);
    });

    it('answers a wrong secret with invalid_client: 401 + WWW-Authenticate for Basic, 400 for body credentials', async () => {
      const viaBasic = await token({ grant_type: 'client_credentials' }, { authorization: basic(desk.clientId, 'tacsec_wrong') }, '10.0.0.1');
      expect(viaBasic.statusCode).toBe(401);
      expect(viaBasic.headers['www-authenticate']).toBe('Basic realm="tac"');
      expect(viaBasic.headers['cache-control']).toBe('no-store');
      expect(viaBasic.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });

      const viaBody = await token({ grant_type: 'client_credentials', client_id: 'agt_unknown', client_secret: 'x' }, {}, '10.0.0.2');
      expect(viaBody.statusCode).toBe(400);
      expect(viaBody.headers['www-authenticate']).toBeUndefined();
      expect(viaBody.json().error).toBe('invalid_client');
    });

    it('asks for client authentication when there is none', async () => {
      const res = await token({ grant_type: 'client_credentials' });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic/);
      expect(res.json().error).toBe('invalid_client');
    });

    it('refuses malformed requests with invalid_request and other grants with unsupported_grant_type', async () => {
      const auth = { authorization: basic(desk.clientId, desk.clientSecret) };
      const cases: [Promise<{ statusCode: number; json: () => { error: string } }>, number, string][] = [
        [token({}, auth), 400, 'invalid_request'],
        [token({ grant_type: 'password', username: 'u', password: 'p' }, auth), 400, 'unsupported_grant_type'],
        [token({ grant_type: 'authorization_code', code: 'x' }, auth), 400, 'unsupported_grant_type'],
        [token({ grant_type: 'client_credentials', client_secret: desk.clientSecret }, auth), 400, 'invalid_request'],
        [token({ grant_type: 'client_credentials', client_id: 'agt_other' }, auth), 400, 'invalid_request'],
        [h.app.inject({ method: 'POST', url: '/oauth/token', headers: { ...FORM, ...auth }, payload: 'grant_type=client_credentials&grant_type=client_credentials' }), 400, 'invalid_request'],
        [h.app.inject({ method: 'POST', url: '/oauth/token', headers: auth, payload: { grant_type: 'client_credentials' } }), 400, 'invalid_request'],
        [h.app.inject({ method: 'POST', url: '/oauth/token', headers: { ...auth, 'content-type': 'application/json' }, payload: '{bad' }), 400, 'invalid_request'],
        [h.app.inject({ method: 'POST', url: '/oauth/token', headers: { ...FORM, ...auth }, payload: `grant_type=client_credentials&x=${'a'.repeat(20_000)}` }), 413, 'invalid_request'],
      ];
      for (const [p, status, error] of cases) {
        const res = await p;
        expect([res.statusCode, res.json().error]).toEqual([status, error]);
      }
    });

    it('narrows a token to a requested scope and refuses scopes beyond the role (invalid_scope)', async () => {
      const narrow = await token({ grant_type: 'client_credentials', scope: 'users:read' }, { authorization: basic(desk.clientId, desk.clientSecret) });
      expect(narrow.json().scope).toBe('users:read');
      const t = narrow.json().access_token as string;
      expect((await h.app.inject({ url: '/v1/users', headers: bearer(t) })).statusCode).toBe(200);
      const refused = await h.app.inject({ method: 'POST', url: '/v1/tacs', headers: bearer(t), payload: { user: 'nobody' } });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().detail).toMatch(/^your token lacks tacs:write/);

      for (const scope of ['policy:write', 'users:read bogus']) {
        const res = await token({ grant_type: 'client_credentials', scope }, { authorization: basic(desk.clientId, desk.clientSecret) });
        expect([res.statusCode, res.json().error]).toEqual([400, 'invalid_scope']);
      }
    });

    it('expires tokens after an hour', async () => {
      const t = await h.token(desk);
      h.clock.advance(59);
      expect((await h.app.inject({ url: '/v1/whoami', headers: bearer(t) })).statusCode).toBe(200);
      h.clock.advance(1);
      const res = await h.app.inject({ url: '/v1/whoami', headers: bearer(t) });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
      expect(res.json()).toMatchObject({ code: 'unauthenticated', status: 401 });
    });

    it('stops a revoked agent at once: its tokens and its credentials', async () => {
      const admin = await h.tokenFor('admin');
      const victim = await h.agent('app', 'doomed-app');
      const t = await h.token(victim);
      const del = await h.app.inject({ method: 'DELETE', url: `/v1/agents/${victim.clientId}`, headers: bearer(admin) });
      expect(del.json()).toMatchObject({ changed: true, agent: { clientId: victim.clientId } });
      expect((await h.app.inject({ url: '/v1/whoami', headers: bearer(t) })).statusCode).toBe(401);
      const again = await token({ grant_type: 'client_credentials' }, { authorization: basic(victim.clientId, victim.clientSecret) }, '10.9.9.9');
      expect([again.statusCode, again.json().error]).toEqual([401, 'invalid_client']);
    });

    it('locks out a client id from one address after repeated failures, never from the others (429 + Retry-After)', async () => {
      const target = await h.agent('helpdesk', 'target');
      const attempt = (secret: string, addr: string) => token({ grant_type: 'client_credentials' }, { authorization: basic(target.clientId, secret) }, addr);
      for (let i = 0; i < 3; i++) expect((await attempt('tacsec_guess', '10.1.0.1')).statusCode).toBe(401);
      // Client ids are public: someone else's failures must not refuse the agent's correct secret elsewhere.
      expect((await attempt(target.clientSecret, '10.1.0.2')).statusCode).toBe(200);
      // The failing address stays locked out for that client, even with the right secret.
      const locked = await attempt(target.clientSecret, '10.1.0.1');
      expect(locked.statusCode).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      expect(locked.json().error).toBe('invalid_request');
      h.clock.advance(2);
      expect((await attempt(target.clientSecret, '10.1.0.1')).statusCode).toBe(200);
    });

    it('locks out an address that fails for many client ids, and a success there does not reset it', async () => {
      const fail = (i: number) => token({ grant_type: 'client_credentials', client_id: `agt_guess${i}`, client_secret: 'x' }, {}, '10.2.0.1');
      for (let i = 0; i < 4; i++) expect((await fail(i)).statusCode).toBe(400);
      expect((await token({ grant_type: 'client_credentials' }, { authorization: basic(desk.clientId, desk.clientSecret) }, '10.2.0.1')).statusCode).toBe(200);
      expect((await fail(4)).statusCode).toBe(400);
      const fromAddr = await token({ grant_type: 'client_credentials' }, { authorization: basic(desk.clientId, desk.clientSecret) }, '10.2.0.1');
      expect(fromAddr.statusCode).toBe(429);
      expect((await token({ grant_type: 'client_credentials' }, { authorization: basic(desk.clientId, desk.clientSecret) }, '10.2.0.2')).statusCode).toBe(200);
      h.clock.advance(2);
    });

    it('logs each failed client authentication with the client id and address, never the secret', async () => {
      const before = h.logs().length;
      await token({ grant_type: 'client_credentials' }, { authorization: basic(desk.clientId, 'tacsec_wrong-secret-in-log') }, '10.3.0.1');
      // A secret pasted as the client id is not logged either: only ids of our shape are.
      await token({ grant_type: 'client_credentials', client_id: 'tacsec_pasted-in-the-id-field', client_secret: 'x' }, {}, '10.3.0.2');
      const lines = h.logs().slice(before).filter((l) => l.level === 'warn');
      expect(lines).toEqual([
        expect.objectContaining({ msg: 'token request refused: client authentication failed', clientId: desk.clientId, address: '10.3.0.1', lockedOut: false, reqId: expect.any(String) }),
        expect.objectContaining({ msg: 'token request refused: client authentication failed', clientId: null, address: '10.3.0.2', lockedOut: false }),
      ]);
      expect(h.rawLogs()).not.toContain('wrong-secret-in-log');
      expect(h.rawLogs()).not.toContain('pasted-in-the-id-field');
    });
  });

  describe('POST /oauth/token per-address cap', () => {
    it('caps all token requests from one address with @fastify/rate-limit (429 + Retry-After, OAuth error body)', async () => {
      const h = await makeServer({ engine, tokenRequestsPerMinute: 2 });
      try {
        const send = (remoteAddress: string) => h.app.inject({ method: 'POST', url: '/oauth/token', headers: FORM, payload: form({ grant_type: 'client_credentials' }), remoteAddress });
        expect((await send('10.5.0.1')).statusCode).toBe(401);
        expect((await send('10.5.0.1')).statusCode).toBe(401);
        const capped = await send('10.5.0.1');
        expect(capped.statusCode).toBe(429);
        expect(Number(capped.headers['retry-after'])).toBeGreaterThan(0);
        expect(capped.headers['cache-control']).toBe('no-store');
        expect(capped.json()).toEqual({ error: 'invalid_request', error_description: expect.stringMatching(/^too many requests; retry in \d+ seconds$/) });
        expect((await send('10.5.0.2')).statusCode).toBe(401);
      } finally {
        await h.close();
      }
    });
  });

  describe('a standard OAuth 2.0 client library (oauth4webapi) against a listening server', () => {
    let server: RunningServer;
    let creds: Creds;
    let as: oauth.AuthorizationServer;
    beforeAll(async () => {
      const { dir, keyPath } = tempDb();
      const dbPath = await newDatabase(engine, dir);
      const { createAgent } = await import('../../src/server/agents-admin.js');
      creds = await createAgent({ dbPath, keyPath, name: 'lib-client', role: 'provisioner', actor: 'tester' });
      server = await startServer({ dbPath, keyPath, port: 0, stderr: { write: () => true } });
      as = { issuer: server.url, token_endpoint: `${server.url}/oauth/token` };
    });
    afterAll(() => server.close());

    for (const [name, auth] of [['client_secret_basic', oauth.ClientSecretBasic], ['client_secret_post', oauth.ClientSecretPost]] as const) {
      it(`gets a token with ${name}`, async () => {
        const client: oauth.Client = { client_id: creds.clientId };
        const res = await oauth.clientCredentialsGrantRequest(as, client, auth(creds.clientSecret), new URLSearchParams({ scope: 'guests:write' }), {
          [oauth.allowInsecureRequests]: true,
        });
        const result = await oauth.processClientCredentialsResponse(as, client, res);
        expect(result.token_type).toBe('bearer');
        expect(result.scope).toBe('guests:write');
        expect(result.expires_in).toBe(3600);
        const who = await fetch(`${server.url}/v1/whoami`, { headers: bearer(result.access_token) });
        expect((await who.json()).name).toBe('lib-client');
      });
    }

    it('surfaces invalid_client as an OAuth error', async () => {
      const client: oauth.Client = { client_id: creds.clientId };
      const res = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic('tacsec_nope'), {}, { [oauth.allowInsecureRequests]: true });
      const err = await oauth.processClientCredentialsResponse(as, client, res).catch((e: unknown) => e);
      // 401 + WWW-Authenticate: Basic, as §5.2 requires when the client used Basic; the library reads the challenge.
      expect(err).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
      expect((err as oauth.WWWAuthenticateChallengeError).status).toBe(401);
      expect((err as oauth.WWWAuthenticateChallengeError).cause[0]!.scheme).toBe('basic');
      const viaPost = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost('tacsec_nope'), {}, { [oauth.allowInsecureRequests]: true });
      const err2 = await oauth.processClientCredentialsResponse(as, client, viaPost).catch((e: unknown) => e);
      expect(err2).toBeInstanceOf(oauth.ResponseBodyError);
      expect((err2 as oauth.ResponseBodyError).error).toBe('invalid_client');
    });
  });
});
