import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { bearer, describeEngines, makeServer, type Creds, type ServerHarness } from './helpers.js';

describeEngines('routes', (engine) => {
  let h: ServerHarness;
  let admin: string;
  let desk: string;
  let app: string;
  let prov: string;
  /** Every code the server handed out, to check none of them leaks anywhere else. */
  const codes: string[] = [];

  const creds = {} as Record<'admin' | 'desk' | 'app' | 'prov', Creds>;
  async function mintTokens() {
    [admin, desk, app, prov] = await Promise.all([h.token(creds.admin), h.token(creds.desk), h.token(creds.app), h.token(creds.prov)]);
  }

  beforeAll(async () => {
    h = await makeServer({ engine });
    creds.admin = await h.agent('admin', 'boss');
    creds.desk = await h.agent('helpdesk', 'desk');
    creds.app = await h.agent('app', 'vpn');
    creds.prov = await h.agent('provisioner', 'hr');
    await mintTokens();
  }, 60_000); // four agents (scrypt) and their tokens: slow on a loaded machine
  afterAll(() => h.close());

  type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  const call = (token: string, method: Method, url: string, payload?: unknown) =>
    h.app.inject({ method, url, headers: bearer(token), ...(payload === undefined ? {} : { payload: payload as object }) });

  describe('users', () => {
    it('creates, shows, searches, disables, enables, unlocks and deletes', async () => {
      const created = await call(admin, 'POST', '/v1/users', { username: 'ann', email: 'Ann@Example.com', name: 'Ann A', phone: '+15551234567' });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ username: 'ann', email: 'ann@example.com', guest: false, disabled: false });

      const shown = await call(desk, 'GET', '/v1/users/ann%40example.com');
      expect(shown.statusCode).toBe(200);
      expect(shown.json()).toMatchObject({ username: 'ann', locked: false, currentTac: null });

      const found = await call(desk, 'GET', '/v1/users?q=ANN&limit=5');
      expect(found.json().map((u: { username: string }) => u.username)).toEqual(['ann']);
      expect((await call(desk, 'GET', '/v1/users?q=ann&guests=true')).json()).toEqual([]);

      expect((await call(admin, 'POST', '/v1/users/ann/disable')).json().disabled).toBe(true);
      expect((await call(admin, 'POST', '/v1/users/ann/enable')).json().disabled).toBe(false);
      expect((await call(desk, 'POST', '/v1/users/ann/unlock')).json()).toMatchObject({ failedAttempts: 0, lockedUntil: null });

      const existing = await call(prov, 'POST', '/v1/users/existing', { emails: ['ann@example.com', 'nobody@example.com'] });
      expect(existing.json()).toEqual([{ email: 'ann@example.com', guest: false, username: 'ann' }]);

      expect((await call(admin, 'DELETE', '/v1/users/ann')).json().username).toBe('ann');
      const gone = await call(desk, 'GET', '/v1/users/ann');
      expect(gone.statusCode).toBe(404);
      expect(gone.json()).toMatchObject({ code: 'not_found', detail: 'user "ann" not found' });
    });

    it('imports a batch in one transaction, skipping or failing on existing emails', async () => {
      await call(admin, 'POST', '/v1/users', { username: 'bob', email: 'bob@example.com' });
      const rows = [
        { line: 2, input: { username: 'cy', email: 'cy@example.com' } },
        { line: 3, input: { username: 'bob2', email: 'bob@example.com' } },
      ];
      const failed = await call(admin, 'POST', '/v1/users/import', { rows, onExisting: 'fail' });
      expect(failed.statusCode).toBe(409);
      expect(failed.json().detail).toMatch(/^line 3: email/);
      expect((await call(desk, 'GET', '/v1/users/cy')).statusCode).toBe(404);

      const skipped = await call(admin, 'POST', '/v1/users/import', { rows, onExisting: 'skip' });
      expect(skipped.json()).toEqual([
        { line: 2, status: 'created', user: expect.objectContaining({ username: 'cy' }) },
        { line: 3, status: 'skipped', email: 'bob@example.com' },
      ]);
    });

    it('a user reference with a control character (NUL too) matches nobody: 404 for lookups, verify not found, on either engine', async () => {
      for (const ref of ['bob\u0000', 'b\u0000ob', 'bob\u001b[31m']) {
        const shown = await call(desk, 'GET', `/v1/users/${encodeURIComponent(ref)}`);
        expect(shown.statusCode, shown.body).toBe(404);
        const issued = await call(desk, 'POST', '/v1/tacs', { user: ref, verifiedBy: 'callback' });
        expect(issued.statusCode, issued.body).toBe(404);
      }
    });
  });

  describe('TACs', () => {
    it('issues a TAC (the only place a code appears), lists, shows and revokes', async () => {
      await call(admin, 'POST', '/v1/users', { username: 'dee', email: 'dee@example.com' });
      const issued = await call(desk, 'POST', '/v1/tacs', { user: 'dee', ttl: 30, reason: 'lost phone', verifiedBy: 'callback' });
      expect(issued.statusCode).toBe(201);
      expect(issued.headers['cache-control']).toBe('no-store');
      const tac = issued.json();
      codes.push(tac.code);
      expect(tac).toMatchObject({ status: 'active', oneTime: true, user: { username: 'dee' }, expiresAt: '2026-01-01T00:30:00.000Z' });

      const listed = await call(desk, 'GET', '/v1/tacs?user=dee&status=active');
      expect(listed.json()).toEqual([expect.objectContaining({ id: tac.id, status: 'active', createdBy: 'agent:desk', user: expect.objectContaining({ username: 'dee' }) })]);
      expect(listed.body).not.toContain(tac.code);
      const shown = await call(desk, 'GET', `/v1/tacs/${tac.id}`);
      expect(shown.json()).toMatchObject({ id: tac.id, status: 'active' });
      expect(shown.body).not.toContain(tac.code);
      expect(shown.body).not.toMatch(/hash/i);
      expect((await call(desk, 'GET', '/v1/users/dee')).json().currentTac.id).toBe(tac.id);

      const revoked = await call(desk, 'DELETE', `/v1/tacs/${tac.id}`);
      expect(revoked.json()).toMatchObject({ changed: true, tac: { status: 'revoked', revokedReason: 'deleted' } });
      expect((await call(desk, 'DELETE', `/v1/tacs/${tac.id}`)).json().changed).toBe(false);

      const again = (await call(desk, 'POST', '/v1/tacs', { user: 'dee', verifiedBy: 'callback' })).json();
      codes.push(again.code);
      const byUser = await call(desk, 'DELETE', '/v1/users/dee/tacs');
      expect(byUser.json().map((t: { id: string }) => t.id)).toEqual([again.id]);
    });

    it('verifies for relying apps with the core verdict, and counts failures toward lockout', async () => {
      await call(admin, 'POST', '/v1/users', { username: 'eve', email: 'eve@example.com' });
      const { code } = (await call(desk, 'POST', '/v1/tacs', { user: 'eve', verifiedBy: 'callback' })).json();
      codes.push(code);
      const bad = await call(app, 'POST', '/v1/tacs/verify', { user: 'eve', code: 'WRONG123' });
      expect(bad.statusCode).toBe(200);
      expect(bad.json()).toEqual({ valid: false, reason: 'invalid_code' });
      const good = await call(app, 'POST', '/v1/tacs/verify', { user: 'eve@example.com', code: code.toLowerCase() });
      expect(good.json()).toMatchObject({ valid: true, user: { username: 'eve' }, tac: { status: 'used', useCount: 1 } });
      expect(good.body).not.toContain(code);
      expect((await call(app, 'POST', '/v1/tacs/verify', { user: 'eve', code })).json()).toEqual({ valid: false, reason: 'already_used' });
      expect((await call(app, 'POST', '/v1/tacs/verify', { user: 'nobody', code })).json()).toEqual({ valid: false, reason: 'unknown_user' });

      for (let i = 0; i < 3; i++) await call(app, 'POST', '/v1/tacs/verify', { user: 'eve', code: 'NOPE9999' });
      const locked = (await call(app, 'POST', '/v1/tacs/verify', { user: 'eve', code: 'NOPE9999' })).json();
      expect(locked).toMatchObject({ valid: false, reason: 'locked_out', lockedUntil: expect.any(String) });
    });

    it('refuses by policy with 422 and purges finished TACs', async () => {
      const tooLong = await call(desk, 'POST', '/v1/tacs', { user: 'eve', ttl: 100_000, verifiedBy: 'callback' });
      expect(tooLong.statusCode).toBe(422);
      expect(tooLong.json()).toMatchObject({ code: 'policy_violation', details: { minTtl: 10, maxTtl: 480 } });

      const dry = await call(admin, 'POST', '/v1/purge', { dryRun: true });
      expect(dry.json()).toMatchObject({ purged: 0, dryRun: true });
      h.clock.advance(40 * 1440);
      await mintTokens();
      const real = await h.app.inject({ method: 'POST', url: '/v1/purge', headers: bearer(admin) });
      expect(real.statusCode).toBe(200);
      expect(real.json().purged).toBeGreaterThan(0);
      expect(real.json().dryRun).toBe(false);
      h.clock.set('2026-01-01T00:00:00.000Z');
      await mintTokens();
    });
  });

  describe('policy', () => {
    it('shows, patches, replaces and resets', async () => {
      expect((await call(admin, 'GET', '/v1/policy')).json()).toEqual(DEFAULT_POLICY);
      const patched = await call(admin, 'PATCH', '/v1/policy', { maxTtl: 600, complexity: { specialCharacters: true } });
      expect(patched.json()).toMatchObject({ maxTtl: 600, complexity: { numbers: true, letters: true, specialCharacters: true } });

      const partial = await call(admin, 'PUT', '/v1/policy', { maxTtl: 700 });
      expect(partial.statusCode).toBe(400);
      expect(partial.json().detail).toMatch(/is required when replacing the whole policy/);
      const replaced = await call(admin, 'PUT', '/v1/policy', { ...DEFAULT_POLICY, length: 10 });
      expect(replaced.json().length).toBe(10);

      const weak = await call(admin, 'PATCH', '/v1/policy', { length: 6, complexity: { letters: false } });
      expect(weak.statusCode).toBe(400);
      expect(weak.json()).toMatchObject({ code: 'invalid_value', field: 'length' });

      expect((await call(admin, 'POST', '/v1/policy/reset')).json()).toEqual(DEFAULT_POLICY);
    });
  });

  describe('guests', () => {
    it('creates a guest with a TAC and imports a batch', async () => {
      const g = await call(prov, 'POST', '/v1/guests', { email: 'visitor@example.org', name: 'Vis Itor', ttl: 120 });
      expect(g.statusCode).toBe(201);
      expect(g.json()).toMatchObject({ code: expect.any(String), user: { username: 'visitor@example.org', guest: true } });
      codes.push(g.json().code);

      const rows = [
        { line: 1, input: { email: 'visitor@example.org' } },
        { line: 2, input: { email: 'new@example.org', ttl: 60 } },
      ];
      const res = await call(prov, 'POST', '/v1/guests/import', { rows, onExisting: 'reissue' });
      expect(res.statusCode).toBe(200);
      const out = res.json();
      expect(out.map((r: { status: string }) => r.status)).toEqual(['reissued', 'created']);
      codes.push(...out.map((r: { tac: { code: string } }) => r.tac.code));
    });
  });

  describe('audit', () => {
    it('names the agent as actor and exports JSON Lines', async () => {
      const events = (await call(admin, 'GET', '/v1/audit?action=tac.generated&limit=500')).json();
      expect(events.length).toBeGreaterThan(0);
      expect(new Set(events.map((e: { actor: string }) => e.actor))).toEqual(new Set(['agent:desk', 'agent:hr']));
      const verified = (await call(admin, 'GET', '/v1/audit?action=tac.verified')).json();
      expect(verified[0].actor).toBe('agent:vpn');
      expect((await call(admin, 'GET', '/v1/audit?user=eve&limit=2')).json()).toHaveLength(2);

      const exp = await call(admin, 'GET', '/v1/audit/export?action=user.created');
      expect(exp.statusCode).toBe(200);
      expect(exp.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const lines = exp.body.trimEnd().split('\n').map((l) => JSON.parse(l));
      expect(lines.length).toBeGreaterThan(3);
      expect(lines.every((e) => e.action === 'user.created' && e.actor === 'agent:boss')).toBe(true);

      const all = await call(admin, 'GET', '/v1/audit/export');
      for (const c of codes) expect(all.body).not.toContain(c);
    });
  });

  describe('agents over HTTP', () => {
    it('creates (secret once), lists and revokes, audited as the admin agent', async () => {
      const created = await call(admin, 'POST', '/v1/agents', { name: 'kiosk', role: 'app' });
      expect(created.statusCode).toBe(201);
      const c = created.json();
      expect(c).toMatchObject({ clientId: expect.stringMatching(/^agt_/), clientSecret: expect.stringMatching(/^tacsec_/), agent: { name: 'kiosk', createdBy: 'agent:boss' } });
      const list = await call(admin, 'GET', '/v1/agents');
      expect(list.body).not.toContain(c.clientSecret);
      expect(list.body).not.toMatch(/scrypt/);
      expect(list.json().map((a: { name: string }) => a.name)).toContain('kiosk');
      expect((await call(admin, 'POST', '/v1/agents', { name: 'kiosk', role: 'app' })).statusCode).toBe(409);
      expect((await call(admin, 'DELETE', `/v1/agents/${c.clientId}`)).json().changed).toBe(true);
      expect((await call(admin, 'GET', '/v1/agents')).json().map((a: { name: string }) => a.name)).not.toContain('kiosk');
      expect((await call(admin, 'GET', '/v1/agents?revoked=true')).json().map((a: { name: string }) => a.name)).toContain('kiosk');
      const audit = (await call(admin, 'GET', '/v1/audit?action=agent.revoked')).json();
      expect(audit[0]).toMatchObject({ actor: 'agent:boss', details: { clientId: c.clientId } });
      expect(JSON.stringify(audit)).not.toContain(c.clientSecret);
    });
  });

  describe('system', () => {
    it('answers /healthz and /readyz without a token', async () => {
      const res = await h.app.inject({ url: '/healthz' });
      expect([res.statusCode, res.json()]).toEqual([200, { status: 'ok' }]);
      const ready = await h.app.inject({ url: '/readyz' });
      expect([ready.statusCode, ready.json()]).toEqual([200, { status: 'ready' }]);
    });

    it('logs one JSON line per request without codes, secrets or tokens', async () => {
      const logs = h.logs();
      const requests = logs.filter((l) => l.msg === 'request');
      expect(requests.length).toBeGreaterThan(40);
      for (const l of requests) {
        expect(Object.keys(l).sort()).toEqual(['agent', 'level', 'method', 'ms', 'msg', 'reqId', 'route', 'status', 'time']);
        expect(typeof l.ms).toBe('number');
      }
      expect(requests).toContainEqual(expect.objectContaining({ agent: 'desk', method: 'POST', route: '/v1/tacs', status: 201 }));
      expect(requests).toContainEqual(expect.objectContaining({ agent: null, route: '/oauth/token', status: 200 }));
      const raw = h.rawLogs();
      for (const secret of [...codes, admin, desk, app, prov]) expect(raw).not.toContain(secret);
      expect(raw).not.toMatch(/tacsec_|tacat_|example\.com/);
    });
  });
});
