import { readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { TacError } from '../../src/core/errors.js';
import { createAgent, listAgents, revokeAgent } from '../../src/server/agents-admin.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { describeEngines, newDatabase, rawQuery, tempDb } from './helpers.js';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describeEngines('agents admin', (engine) => {
  const db = async () => {
    const t = tempDb();
    dirs.push(t.dir);
    return { dbPath: await newDatabase(engine, t.dir), keyPath: t.keyPath, actor: 'root-admin' };
  };

  /** The schema version: SQLite's user_version, PostgreSQL's tac_schema row (src/store/postgres/migrations.ts). */
  const schemaVersion = async (dbPath: string) =>
    engine === 'sqlite'
      ? (await rawQuery<{ user_version: number }>(dbPath, 'PRAGMA user_version'))[0]!.user_version
      : (await rawQuery<{ version: number }>(dbPath, 'SELECT version FROM tac_schema'))[0]!.version;

  describe('tac agents create|list|revoke (local admin functions)', () => {
    it('creates an agent, shows the secret once and stores only its scrypt hash', async () => {
      const o = await db();
      const created = await createAgent({ ...o, name: 'kiosk', role: 'app' });
      expect(created.clientId).toMatch(/^agt_/);
      expect(created.clientSecret).toMatch(/^tacsec_/);
      expect(created.agent).toMatchObject({ clientId: created.clientId, name: 'kiosk', role: 'app', scopes: ['tacs:verify'], createdBy: 'root-admin', revokedAt: null });
      expect(created.agent).not.toHaveProperty('secretHash');

      const [row] = await rawQuery<Record<string, string>>(o.dbPath, 'SELECT * FROM agents');
      expect(row!.secret_hash).toMatch(/^scrypt\$/);
      const audit = await rawQuery<Record<string, string>>(o.dbPath, "SELECT * FROM audit WHERE action = 'agent.created'");
      expect(audit).toHaveLength(1);
      expect(audit[0]!.actor).toBe('root-admin');
      expect(JSON.parse(audit[0]!.details)).toEqual({ clientId: created.clientId, name: 'kiosk', role: 'app' });
      expect(await schemaVersion(o.dbPath)).toBe(MIGRATIONS.length);
      // Nowhere in the database file (or its WAL) is the secret in clear. (SQLite's files are ours to
      // read; PostgreSQL's belong to its cluster: the rows above are what it stores.)
      if (engine === 'sqlite') for (const f of [o.dbPath, `${o.dbPath}-wal`]) {
        try {
          expect(readFileSync(f).includes(created.clientSecret)).toBe(false);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
    });

    it('refuses a bad role, a bad name and a name already used (even by a revoked agent)', async () => {
      const o = await db();
      await expect(createAgent({ ...o, name: 'x', role: 'root' })).rejects.toMatchObject({ code: 'invalid_value', field: '--role' });
      await expect(createAgent({ ...o, name: 'a b', role: 'app' })).rejects.toMatchObject({ code: 'invalid_value', field: '--name' });
      const a = await createAgent({ ...o, name: 'desk', role: 'helpdesk' });
      await expect(createAgent({ ...o, name: 'DESK', role: 'app' })).rejects.toMatchObject({ code: 'conflict' });
      await revokeAgent({ ...o, clientId: a.clientId });
      const err = await createAgent({ ...o, name: 'desk', role: 'app' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TacError);
      expect((err as TacError).message).toContain('revoked');
      expect((err as TacError).exitCode).toBe(5);
    });

    it('lists active agents (revoked on request) and revokes idempotently with an audit row', async () => {
      const o = await db();
      const a = await createAgent({ ...o, name: 'one', role: 'helpdesk' });
      const b = await createAgent({ ...o, name: 'two', role: 'provisioner' });
      expect((await listAgents(o)).map((x) => x.name)).toEqual(['one', 'two']);

      const r1 = await revokeAgent({ ...o, clientId: a.clientId });
      expect(r1.changed).toBe(true);
      expect(r1.agent.revokedAt).not.toBeNull();
      const r2 = await revokeAgent({ ...o, clientId: a.clientId });
      expect(r2.changed).toBe(false);
      expect((await listAgents(o)).map((x) => x.clientId)).toEqual([b.clientId]);
      expect((await listAgents({ ...o, includeRevoked: true })).map((x) => x.name)).toEqual(['one', 'two']);
      await expect(revokeAgent({ ...o, clientId: 'agt_nope' })).rejects.toMatchObject({ code: 'not_found' });

      const revoked = await rawQuery<Record<string, string>>(o.dbPath, "SELECT actor, details FROM audit WHERE action = 'agent.revoked'");
      expect(revoked).toHaveLength(1);
      expect(revoked[0]!.actor).toBe('root-admin');
      expect(JSON.parse(revoked[0]!.details)).toMatchObject({ clientId: a.clientId, name: 'one' });
    });
  });
});
