import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { createTestDatabase, pgAdminUrl } from '../pg/db.js';
import { describeRun, localDirs, runTac, startServe, type Env } from './helpers/tac.js';

/**
 * The local commands on a PostgreSQL database (--db postgres://… or TAC_DB): an admin bootstraps
 * a new database with its first agent, and manages users, codes, the policy and purges on it
 * exactly as on a SQLite file. (The suites run against `tac serve` on PostgreSQL elsewhere:
 * describeBackends' postgres variant.)
 */
describe.skipIf(!pgAdminUrl())('local commands on PostgreSQL', () => {
  let url = '';
  let env: Env;
  const tac = (args: string[], stdin?: string, extra: Env = {}) => runTac(args, { ...env, ...extra }, { stdin, timeoutMs: 60_000 });
  const ok = async (args: string[], stdin?: string) => {
    const r = await tac(args, stdin);
    expect(r.code, describeRun(r)).toBe(0);
    return r;
  };

  beforeAll(async () => {
    url = await createTestDatabase('local');
    const { TAC_DB: _sqlite, ...rest } = localDirs(mkdtempSync(join(tmpdir(), 'tac-e2e-pg-local-'))).env;
    void _sqlite;
    env = rest;
  });

  it('bootstraps a new database with the first agent (--db), lists and revokes agents', async () => {
    const created = JSON.parse((await ok(['agents', 'create', '--db', url, '--name', 'first-admin', '--role', 'admin', '--json'])).stdout);
    expect(created.clientSecret).toMatch(/^tacsec_/);
    const listed = JSON.parse((await ok(['agents', 'list', '--db', url, '--json'])).stdout) as { clientId: string; name: string }[];
    expect(listed.map((a) => a.name)).toEqual(['first-admin']);
    await ok(['agents', 'revoke', '--db', url, created.clientId, '--yes']);
    const all = JSON.parse((await ok(['agents', 'list', '--db', url, '--all', '--json'])).stdout) as { revokedAt: string | null }[];
    expect(all[0]!.revokedAt).not.toBeNull();
    const names = new pg.Client({ connectionString: url });
    await names.connect();
    try {
      const { rows } = await names.query("SELECT action FROM audit WHERE action LIKE 'agent.%' ORDER BY id");
      expect(rows.map((r) => r.action)).toEqual(['agent.created', 'agent.revoked']);
    } finally {
      await names.end();
    }
  });

  it('users, codes, verification, the policy and purge through TAC_DB', async () => {
    env = { ...env, TAC_DB: url };
    await ok(['users', 'add', '--username', 'ann', '--email', 'ann@example.com']);
    const code = (await ok(['generate', '--user', 'ann', '--verified-by', 'callback'])).stdout.trim();
    expect((await ok(['verify', '--user', 'ANN@example.com'], `${code}\n`)).stdout).toContain('valid');
    const again = await tac(['verify', '--user', 'ann', '--json'], `${code}\n`);
    expect(again.code, describeRun(again)).toBe(6);
    expect(JSON.parse(again.stdout)).toEqual({ valid: false, reason: 'already_used' });
    await ok(['policy', 'set', '--default-ttl', '30m']);
    expect(JSON.parse((await ok(['policy', 'show', '--json'])).stdout).defaultTtl).toBe(30);
    expect(JSON.parse((await ok(['purge', '--dry-run', '--json'])).stdout)).toMatchObject({ dryRun: true, purged: 0 });
    const found = JSON.parse((await ok(['users', 'search', 'an', '--json'])).stdout) as { username: string }[];
    expect(found.map((u) => u.username)).toEqual(['ann']);
  });

  it('imports users and guests in batches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tac-e2e-pg-import-'));
    const csv = (name: string, text: string) => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    const rows = Array.from({ length: 150 }, (_, i) => `imp${i},imp${i}@example.com,Imp ${i}`).join('\n');
    await ok(['users', 'import', csv('users.csv', `username,email,name\n${rows}\n`)]);
    const guests = await ok(['guests', 'import', csv('guests.csv', 'email\nguest-a@example.com\nguest-b@example.com\n'), '--json']);
    const issued = guests.stdout.trim().split('\n').map((l) => JSON.parse(l) as { code: string; user: { email: string } });
    expect(issued.map((t) => t.user.email)).toEqual(['guest-a@example.com', 'guest-b@example.com']);
    expect((await ok(['verify', '--user', 'guest-b@example.com'], `${issued[1]!.code}\n`)).stdout).toContain('valid');
    const search = JSON.parse((await ok(['users', 'search', 'imp14', '--json'])).stdout) as { email: string }[];
    expect(search.map((u) => u.email)).toEqual(['imp14@example.com', ...Array.from({ length: 10 }, (_, i) => `imp14${i}@example.com`)]);
    const again = await tac(['users', 'import', csv('again.csv', 'username,email\nimp3-again,imp3@example.com\n')]);
    expect(again.code, describeRun(again)).toBe(5);
  });

  it('tac serve --pool-size caps its connections to the database; a bad size is exit 2 naming the flag', async () => {
    const bad = await tac(['serve', '--port', '0', '--pool-size', '0'], undefined, { TAC_DB: url });
    expect(bad.code, describeRun(bad)).toBe(2);
    expect(bad.stderr).toContain('--pool-size');
    const serve = await startServe(['--port', '0', '--pool-size', '2'], { ...env, TAC_DB: url });
    try {
      // Readiness checks query the database: 12 at once need connections, and get at most 2.
      const answers = await Promise.all(Array.from({ length: 12 }, () => fetch(`${serve.url}/readyz`).then((r) => r.status)));
      expect(answers).toEqual(Array(12).fill(200));
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const { rows } = await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'tac' AND datname = current_database()");
      await c.end();
      expect(rows[0].n).toBeGreaterThanOrEqual(1);
      expect(rows[0].n).toBeLessThanOrEqual(2);
    } finally {
      const { code } = await serve.stop();
      expect(code).toBe(0);
    }
  });

  it('libpq variables fill in what the URL leaves out', async () => {
    const admin = new URL(pgAdminUrl());
    const r = await tac(['users', 'show', 'ann', '--json', '--db', `postgresql:///${new URL(url).pathname.slice(1)}`], undefined, {
      TAC_DB: undefined, PGHOST: admin.hostname, PGPORT: admin.port, PGUSER: admin.username,
    });
    expect(r.code, describeRun(r)).toBe(0);
    expect(JSON.parse(r.stdout).username).toBe('ann');
  });

  it('a database newer than this tac: exit 1 with one line naming both versions; whoami hides a password', async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('UPDATE tac_schema SET version = $1', [MIGRATIONS.length + 1]);
    await c.end();
    const r = await tac(['users', 'search']);
    expect(r.code, describeRun(r)).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`the database schema (version ${MIGRATIONS.length + 1}) is newer than this tac understands (version ${MIGRATIONS.length})`);
    const withPassword = new URL(url);
    withPassword.password = 'hunter2-not-shown';
    const who = await tac(['whoami', '--json'], undefined, { TAC_DB: withPassword.toString() });
    expect(who.code, describeRun(who)).toBe(0);
    expect(who.stdout).not.toContain('hunter2-not-shown');
    expect(JSON.parse(who.stdout).database).toContain(':***@');
  });
});
