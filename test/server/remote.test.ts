import { rmSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import type { EngineBackend } from '../../src/backends/engine-backend.js';
import { openEngineBackend } from '../../src/backends/open.js';
import { RemoteBackend } from '../../src/backends/remote.js';
import { FileTokenCache, MemoryTokenCache } from '../../src/backends/token-cache.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { TacError } from '../../src/core/errors.js';
import { createAgent } from '../../src/server/agents-admin.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { describeEngines, newDatabase, rawQuery, tempDb, type Creds } from './helpers.js';

describeEngines('remote', (engine) => {
  let server: RunningServer;
  /** tac's own engine on the server's database, in this process: what the server must answer like. */
  let local: EngineBackend;
  let remote: RemoteBackend;
  let db: ReturnType<typeof tempDb>;
  /** The server's database: a SQLite file in db.dir, or a PostgreSQL database's URL. */
  let dbPath: string;
  let adminCreds: Creds;
  let deskCreds: Creds;
  const logLines: string[] = [];
  const tokenRequests = () => logLines.filter((l) => l.includes('"route":"/oauth/token"')).length;

  beforeAll(async () => {
    db = tempDb();
    dbPath = await newDatabase(engine, db.dir);
    adminCreds = await createAgent({ dbPath, keyPath: db.keyPath, name: 'remote-admin', role: 'admin', actor: 'tester' });
    deskCreds = await createAgent({ dbPath, keyPath: db.keyPath, name: 'remote-desk', role: 'helpdesk', actor: 'tester' });
    server = await startServer({ dbPath, keyPath: db.keyPath, port: 0, stderr: { write: (s: string) => logLines.push(s) } });
    local = await openEngineBackend({ dbPath, keyPath: db.keyPath, actor: 'tester' });
    remote = new RemoteBackend({ serverUrl: server.url, ...adminCreds });
  }, 60_000); // two agents (scrypt) and a server: slow on a loaded machine
  afterAll(async () => {
    await remote.close();
    await local.close();
    await server.close();
    rmSync(db.dir, { recursive: true, force: true });
  });

  /** Runs the same call on both backends and expects the same TacError (code, message, exit code). */
  async function sameError(call: (b: Backend) => Promise<unknown>): Promise<TacError> {
    const [l, r] = await Promise.all([call(local).then(() => undefined, (e: unknown) => e), call(remote).then(() => undefined, (e: unknown) => e)]);
    expect(l).toBeInstanceOf(TacError);
    expect(r).toBeInstanceOf(TacError);
    const pick = (e: TacError) => ({ code: e.code, message: e.message, exitCode: e.exitCode, field: e.field });
    expect(pick(r as TacError)).toEqual(pick(l as TacError));
    return r as TacError;
  }

  describe('RemoteBackend round-trips every Backend method like LocalBackend', () => {
    it('users', async () => {
      const u = await remote.addUser({ username: 'rita', email: 'rita@example.com', phone: '+4915112345678' });
      expect(await remote.showUser('rita')).toEqual(await local.showUser('rita'));
      expect(await remote.showUser(u.id)).toEqual(await local.showUser('+49 151 12345678'));
      expect(await remote.searchUsers('RIT', { limit: 5 })).toEqual(await local.searchUsers('RIT', { limit: 5 }));
      expect(await remote.searchUsers('', { guestsOnly: true })).toEqual([]);
      expect(await remote.existingEmails(['rita@example.com', 'x@example.com'])).toEqual(await local.existingEmails(['rita@example.com', 'x@example.com']));
      expect(await remote.setUserDisabled('rita', true)).toEqual((({ locked, currentTac, ...rest }) => rest)(await local.showUser('rita')));
      expect((await remote.setUserDisabled('rita', false)).disabled).toBe(false);
      expect((await remote.unlockUser('rita@example.com')).failedAttempts).toBe(0);

      const rows = [{ line: 1, input: { username: 'sam', email: 'sam@example.com' } }, { line: 2, input: { username: 'rita2', email: 'rita@example.com' } }];
      const imported = await remote.importUsers(rows, 'skip');
      expect(imported).toEqual([{ line: 1, status: 'created', user: (({ locked, currentTac, ...rest }) => rest)(await local.showUser('sam')) }, { line: 2, status: 'skipped', email: 'rita@example.com' }]);

      await sameError((b) => b.showUser('nobody'));
      await sameError((b) => b.addUser({ username: 'rita', email: 'new@example.com' }));
      await sameError((b) => b.addUser({ username: 'bad name', email: 'n@example.com' }));
      await sameError((b) => b.importUsers([{ line: 7, input: { username: 'x7', email: 'sam@example.com' } }], 'fail'));

      const deleted = await remote.deleteUser('sam');
      expect(deleted.username).toBe('sam');
      await sameError((b) => b.deleteUser('sam'));
    });

    it('TACs and verify', async () => {
      const issued = await remote.issueTac({ user: 'rita', ttl: 45, reason: 'new laptop', verifiedBy: 'in-person' });
      expect(issued).toMatchObject({ status: 'active', oneTime: true, user: { username: 'rita' } });
      expect(await remote.listTacs({ user: 'rita' })).toEqual(await local.listTacs({ user: 'rita' }));
      expect(await remote.listTacs({ status: 'active', limit: 1 })).toEqual(await local.listTacs({ status: 'active', limit: 1 }));

      const wrong = await remote.verify('rita', 'WRONG234');
      expect(wrong).toEqual({ valid: false, reason: 'invalid_code' });
      const ok = await remote.verify('rita', issued.code);
      expect(ok).toMatchObject({ valid: true, tac: { id: issued.id, useCount: 1 } });
      expect(await remote.verify('rita', issued.code)).toEqual(await local.verify('rita', issued.code));

      const second = await remote.issueTac({ user: 'rita', verifiedBy: 'callback' });
      const revoked = await remote.revokeTac(second.id);
      expect(revoked.changed).toBe(true);
      expect(await remote.revokeTac(second.id)).toEqual(await local.revokeTac(second.id));
      await remote.issueTac({ user: 'rita', verifiedBy: 'callback' });
      const byUser = await remote.revokeUserTacs('rita');
      expect(byUser).toHaveLength(1);
      expect(await remote.revokeUserTacs('rita')).toEqual([]);

      await sameError((b) => b.issueTac({ user: 'rita', ttl: 5, verifiedBy: 'callback' }));
      await sameError((b) => b.issueTac({ user: 'nobody' }));
      await sameError((b) => b.issueTac({ user: 'rita', startsAt: 'yesterday', verifiedBy: 'callback' }));
      await sameError((b) => b.revokeTac('tac_missing'));
      await sameError((b) => b.listTacs({ user: 'nobody' }));
    });

    it('policy', async () => {
      expect(await remote.getPolicy()).toEqual(await local.getPolicy());
      expect(await remote.updatePolicy({ maxTtl: 600 })).toEqual(await local.getPolicy());
      expect((await remote.replacePolicy({ ...DEFAULT_POLICY, defaultTtl: 30 })).defaultTtl).toBe(30);
      await sameError((b) => b.updatePolicy({ bogus: 1 } as never));
      await sameError((b) => b.updatePolicy({ maxTtl: 'long' } as never));
      await sameError((b) => b.updatePolicy({ minTtl: 900 }));
      await sameError((b) => b.replacePolicy({ maxTtl: 100 }));
      await sameError((b) => b.replacePolicy([1]));
      expect(await remote.resetPolicy()).toEqual(DEFAULT_POLICY);
    });

    it('guests, audit and purge', async () => {
      const g = await remote.createGuest({ email: 'guest1@example.org', ttl: 60 });
      expect(g.user).toMatchObject({ guest: true, username: 'guest1@example.org' });
      const batch = await remote.importGuests([{ line: 1, input: { email: 'guest1@example.org' } }, { line: 2, input: { email: 'guest2@example.org' } }], 'skip');
      expect(batch.map((r) => r.status)).toEqual(['skipped', 'created']);
      await sameError((b) => b.createGuest({ email: 'guest1@example.org' }));
      await sameError((b) => b.importGuests([{ line: 3, input: { email: 'rita@example.com' } }], 'reissue'));

      expect(await remote.queryAudit({ limit: 20 })).toEqual(await local.queryAudit({ limit: 20 }));
      expect(await remote.queryAudit({ user: 'rita', action: 'tac.generated' })).toEqual(await local.queryAudit({ user: 'rita', action: 'tac.generated' }));
      const events = await remote.queryAudit({ action: 'guest.created' });
      expect(events.every((e) => e.actor === 'agent:remote-admin')).toBe(true);
      await sameError((b) => b.queryAudit({ action: 'nope' }));
      await sameError((b) => b.queryAudit({ since: 'last week' }));

      const ndjson = await remote.exportAudit({ action: 'guest.created' });
      expect(ndjson.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(events);

      expect(await remote.purge(true)).toEqual(await local.purge(true));
      expect((await remote.purge(false)).dryRun).toBe(false);
    });

    it('whoami and agents', async () => {
      expect(await remote.whoami()).toMatchObject({ clientId: adminCreds.clientId, name: 'remote-admin', role: 'admin' });
      const created = await remote.createAgent('from-remote', 'app');
      expect((await remote.listAgents()).map((a) => a.name)).toContain('from-remote');
      expect((await remote.revokeAgent(created.clientId)).changed).toBe(true);
    });
  });

  // The client's token cache and transport: the server's engine changes nothing there.
  describe.skipIf(engine === 'postgres')('tokens', () => {
    it('fetches one token and reuses it until shortly before expiry', async () => {
      const before = tokenRequests();
      const b = new RemoteBackend({ serverUrl: server.url, ...deskCreds });
      await Promise.all([b.searchUsers(''), b.searchUsers('r'), b.listTacs({})]);
      await b.showUser('rita');
      expect(tokenRequests() - before).toBe(1);
      await b.close();

      let now = Date.now();
      const clocked = new RemoteBackend({ serverUrl: server.url, ...deskCreds, now: () => now });
      await clocked.searchUsers('');
      now += 58 * 60_000;
      await clocked.searchUsers('');
      expect(tokenRequests() - before).toBe(2);
      now += 60_000; // within the last minute: renewed ahead of expiry
      await clocked.searchUsers('');
      expect(tokenRequests() - before).toBe(3);
      await clocked.close();
    });

    it('gets a new token once when the server answers 401 (token revoked server-side)', async () => {
      const cache = new MemoryTokenCache();
      const b = new RemoteBackend({ serverUrl: server.url, ...deskCreds, tokenCache: cache });
      await b.searchUsers('');
      const before = tokenRequests();
      await rawQuery(dbPath, 'DELETE FROM agent_tokens');
      expect(await b.searchUsers('rita')).toHaveLength(1);
      expect(tokenRequests() - before).toBe(1);
      await b.close();
    });

    it('reports wrong credentials and missing scopes with a fix, and the same exit codes', async () => {
      const wrong = new RemoteBackend({ serverUrl: server.url, clientId: deskCreds.clientId, clientSecret: 'tacsec_wrong' });
      const e1 = await wrong.searchUsers('').catch((e: TacError) => e);
      expect(e1).toMatchObject({ code: 'unauthenticated', exitCode: 4 });
      expect(e1.message).toMatch(/rejected client agt_.*run tac login/);
      await wrong.close();

      const desk = new RemoteBackend({ serverUrl: server.url, ...deskCreds });
      const e2 = await desk.getPolicy().catch((e: TacError) => e);
      expect(e2).toMatchObject({ code: 'forbidden', exitCode: 4, message: 'your role (helpdesk) lacks policy:read' });
      const e3 = await desk.addUser({ username: 'z', email: 'z@example.com' }).catch((e: TacError) => e);
      expect(e3.message).toBe('your role (helpdesk) lacks users:write');
      await desk.close();

      const narrowed = new RemoteBackend({ serverUrl: server.url, ...deskCreds, scope: 'users:read' });
      expect((await narrowed.issueTac({ user: 'rita' }).catch((e: TacError) => e)).message).toMatch(/^your token lacks tacs:write/);
      await narrowed.close();
    });

    it('keeps tokens in an injectable file cache (0600), skipping expired ones', async () => {
      const path = join(db.dir, 'tokens', 'cache.json');
      let now = 1_000;
      const cache = new FileTokenCache(path, () => now);
      cache.set('k1', { accessToken: 't1', expiresAt: 5_000, scope: 's' });
      expect(cache.get('k1')).toEqual({ accessToken: 't1', expiresAt: 5_000, scope: 's' });
      expect(statSync(path).mode & 0o777).toBe(0o600);
      now = 6_000;
      expect(cache.get('k1')).toBeUndefined();
      cache.set('k2', { accessToken: 't2', expiresAt: 9_000, scope: '' });
      cache.delete('k2');
      expect(new FileTokenCache(path, () => now).get('k2')).toBeUndefined();

      const shared = new FileTokenCache(join(db.dir, 'tokens', 'shared.json'));
      const before = tokenRequests();
      const a = new RemoteBackend({ serverUrl: server.url, ...deskCreds, tokenCache: shared });
      await a.searchUsers('');
      await a.close();
      const b = new RemoteBackend({ serverUrl: server.url, ...deskCreds, tokenCache: new FileTokenCache(join(db.dir, 'tokens', 'shared.json')) });
      await b.searchUsers('');
      await b.close();
      expect(tokenRequests() - before).toBe(1);
    });
  });

  describe.skipIf(engine === 'postgres')('transport', () => {
    it('refuses plain http to a non-loopback host unless insecure', () => {
      const creds = { clientId: 'agt_x', clientSecret: 's' };
      expect(() => new RemoteBackend({ serverUrl: 'http://tac.example.com', ...creds })).toThrow(/refusing to send credentials over plain http/);
      expect(() => new RemoteBackend({ serverUrl: 'http://10.0.0.5:8787', ...creds })).toThrow(TacError);
      expect(() => new RemoteBackend({ serverUrl: 'ftp://x', ...creds })).toThrow(/https/);
      expect(() => new RemoteBackend({ serverUrl: 'not a url', ...creds })).toThrow(/not a URL/);
      for (const ok of ['http://tac.example.com', 'https://tac.example.com/prefix', 'http://localhost:8787', 'http://127.0.0.2', 'http://[::1]:1']) {
        const b = new RemoteBackend({ serverUrl: ok, ...creds, insecure: ok.includes('example') });
        expect(b.location).toBe(ok.replace(/\/$/, ''));
        void b.close();
      }
    });

    it('reports an unreachable server as TacError unreachable (exit 7)', async () => {
      const b = new RemoteBackend({ serverUrl: 'http://127.0.0.1:1', clientId: 'agt_x', clientSecret: 's', retries: 0 });
      const e = await b.searchUsers('').catch((x: TacError) => x);
      expect(e).toMatchObject({ code: 'unreachable', exitCode: 7 });
      expect(e.message).toBe('cannot reach the tac server at http://127.0.0.1:1: connection refused (is tac serve running?)');
      await b.close();
    });

    describe('against a misbehaving server', () => {
      let raw: Server;
      let url: string;
      let mode: 'reset' | 'hang' = 'reset';
      let connections = 0;
      const sockets = new Set<Socket>();
      beforeAll(async () => {
        raw = createServer((s) => {
          connections++;
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
          if (mode === 'reset') s.resetAndDestroy();
        });
        await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
        url = `http://127.0.0.1:${(raw.address() as { port: number }).port}`;
      });
      afterAll(async () => {
        for (const s of sockets) s.destroy();
        await new Promise((r) => raw.close(r));
      });

      /** A backend that already holds a token, so the call under test is the first request sent. */
      const withToken = (opts: Partial<ConstructorParameters<typeof RemoteBackend>[0]> = {}) => {
        const cache = new MemoryTokenCache();
        cache.set(`${url}|agt_x|`, { accessToken: 'tacat_cached', expiresAt: Date.now() + 3_600_000, scope: '' });
        return new RemoteBackend({ serverUrl: url, clientId: 'agt_x', clientSecret: 's', tokenCache: cache, ...opts });
      };

      it('retries idempotent GET and DELETE with backoff, never a POST', async () => {
        mode = 'reset';
        const b = withToken({ retries: 2 });
        connections = 0;
        await expect(b.searchUsers('x')).rejects.toMatchObject({ code: 'unreachable' });
        expect(connections).toBe(3);
        connections = 0;
        await expect(b.revokeTac('tac_x')).rejects.toMatchObject({ code: 'unreachable' });
        expect(connections).toBe(3);
        for (const post of [() => b.issueTac({ user: 'x' }), () => b.verify('x', 'y'), () => b.createGuest({ email: 'a@b.co' }), () => b.purge(false)]) {
          connections = 0;
          await expect(post()).rejects.toMatchObject({ code: 'unreachable' });
          expect(connections).toBe(1);
        }
        // The token request is a POST too: never repeated.
        const fresh = new RemoteBackend({ serverUrl: url, clientId: 'agt_x', clientSecret: 's' });
        connections = 0;
        await expect(fresh.searchUsers('x')).rejects.toMatchObject({ code: 'unreachable' });
        expect(connections).toBe(1);
        await Promise.all([b.close(), fresh.close()]);
      });

      it('times out a request that gets no answer, warning that a POST may have been applied', async () => {
        mode = 'hang';
        const b = withToken({ retries: 0, timeouts: { connectMs: 1000, requestMs: 300 } });
        const t0 = Date.now();
        const get = await b.searchUsers('x').catch((e: TacError) => e);
        expect(get).toMatchObject({ code: 'unreachable', message: `cannot reach the tac server at ${url}: no response within 300 ms` });
        expect(Date.now() - t0).toBeLessThan(3000);
        const post = await b.issueTac({ user: 'x' }).catch((e: TacError) => e);
        expect(post.message).toMatch(/no response within 300 ms \(the request may still have been applied/);
        await b.close();
      });
    });
  });
});
