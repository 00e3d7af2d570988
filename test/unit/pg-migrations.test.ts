import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { TacError } from '../../src/core/errors.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openPostgres } from '../../src/store/postgres/engine.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { createTestDatabase, pgAdminUrl } from '../pg/db.js';
import { user } from '../pg/fixtures.js';

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const version = (url: string) => withClient(url, async (c) => (await c.query('SELECT version FROM tac_schema')).rows.map((r) => r.version as number));

describe.skipIf(!pgAdminUrl())('PostgreSQL migrations', () => {
  it('three replicas starting together on a new database migrate it exactly once', async () => {
    const url = await createTestDatabase('migrate');
    // Each runs every CREATE TABLE of migration 1: a second run would fail ("already exists").
    const engines = await Promise.all([1, 2, 3].map(() => openPostgres(url, { poolSize: 2 })));
    await Promise.all(engines.map((e) => e.close()));
    expect(await version(url)).toEqual([MIGRATIONS.length]);
    const tables = await withClient(url, async (c) => (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.tablename));
    expect(tables).toEqual(['agent_tokens', 'agents', 'audit', 'meta', 'policy', 'tac_schema', 'tacs', 'users']);
    // Opening again changes nothing.
    await (await openPostgres(url)).close();
    expect(await version(url)).toEqual([MIGRATIONS.length]);
  });

  it('refuses a schema newer than this tac knows, naming both versions, and changes nothing', async () => {
    const url = await createTestDatabase('newer');
    await (await openPostgres(url)).close();
    await withClient(url, (c) => c.query('UPDATE tac_schema SET version = $1', [MIGRATIONS.length + 1]));
    const err = await openPostgres(url).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TacError);
    expect((err as TacError).code).toBe('internal');
    expect((err as TacError).message).toBe(`the database schema (version ${MIGRATIONS.length + 1}) is newer than this tac understands (version ${MIGRATIONS.length}); upgrade tac`);
    expect(await version(url)).toEqual([MIGRATIONS.length + 1]);
  });

  it('migration 6 makes stored phone numbers canonical in TAC_PHONE_REGION and records the region', async () => {
    const url = await createTestDatabase('phones');
    await withClient(url, async (c) => {
      await c.query('CREATE TABLE tac_schema (version INTEGER NOT NULL)');
      for (const m of PG_MIGRATIONS.slice(0, 5)) await c.query(m as string);
      await c.query('INSERT INTO tac_schema (version) VALUES (5)');
      const u = user({ phone: '(555) 123-4567' });
      await c.query('INSERT INTO users (id, username, email, phone, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)', [u.id, u.username, u.email, u.phone, u.createdAt]);
    });
    const refused = await openPostgres(url, { migration: {} }).then(() => undefined, (e: unknown) => e as Error);
    expect(refused?.message).toMatch(/cannot upgrade the database to canonical phone numbers \(nothing was changed\).*has no country code/);
    expect(await version(url)).toEqual([5]);
    await (await openPostgres(url, { migration: { phoneRegion: 'us' } })).close();
    expect(await version(url)).toEqual([MIGRATIONS.length]);
    const [row] = await withClient(url, async (c) => (await c.query('SELECT phone FROM users')).rows);
    expect(row.phone).toBe('+15551234567');
    const [policy] = await withClient(url, async (c) => (await c.query('SELECT json FROM policy')).rows);
    expect(JSON.parse(policy.json)).toEqual({ phoneRegion: 'US' });
  });

  it('an unreachable database is exit 7 naming the URL without its password', async () => {
    const url = new URL(pgAdminUrl());
    url.port = '1';
    url.password = 'not-a-real-secret';
    const err = await openPostgres(url.toString()).then(() => undefined, (e: unknown) => e as TacError);
    expect(err?.code).toBe('unreachable');
    expect(err?.message).toContain('cannot use the PostgreSQL database postgresql://postgres:***@127.0.0.1:1/postgres');
    expect(err?.message).not.toContain('not-a-real-secret');
  });
});
