import { TacError } from '../../core/errors.js';
import { planPhones, withRegion, type MigrationContext, type PhoneRow } from '../migrate-phones.js';
import { MIGRATIONS, newerSchema } from '../migrations.js';
import type { PgSession } from './pg.js';

/** SQL, or code for a migration that must look at each row. */
type PgMigration = string | ((client: PgSession, ctx: MigrationContext) => Promise<void>);

/**
 * The same versioned migrations as SQLite's (../migrations.ts), one for one, in PostgreSQL's DDL.
 * Differences that keep the queries alike: case-insensitive uniqueness is an index on lower(),
 * booleans are BOOLEAN, times stay ISO-8601 TEXT (they compare as text exactly as in SQLite), and
 * `seq` columns give the insertion order SQLite's rowid gives. Never edit a shipped migration.
 */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  // 1: users, TACs, policy, audit
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    name TEXT,
    guest BOOLEAN NOT NULL DEFAULT false,
    disabled BOOLEAN NOT NULL DEFAULT false,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE UNIQUE INDEX users_username ON users (lower(username));
  CREATE UNIQUE INDEX users_email ON users (lower(email));
  CREATE UNIQUE INDEX users_phone ON users (phone) WHERE phone IS NOT NULL;
  CREATE TABLE tacs (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    case_sensitive BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    one_time BOOLEAN NOT NULL,
    use_count INTEGER NOT NULL DEFAULT 0,
    last_used_at TEXT,
    revoked_at TEXT,
    revoked_reason TEXT,
    reason TEXT,
    created_by TEXT NOT NULL
  );
  CREATE INDEX tacs_user ON tacs (user_id, seq);
  CREATE INDEX tacs_seq ON tacs (seq);
  CREATE INDEX tacs_expires ON tacs (expires_at);
  CREATE INDEX tacs_revoked ON tacs (revoked_at) WHERE revoked_at IS NOT NULL;
  CREATE TABLE policy (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
  CREATE TABLE audit (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    user_id TEXT,
    tac_id TEXT,
    outcome TEXT NOT NULL,
    reason TEXT,
    details TEXT NOT NULL
  );
  CREATE INDEX audit_user ON audit (user_id);
  CREATE INDEX audit_action ON audit (action);
  CREATE INDEX audit_at ON audit (at);
  `,
  // 2: server agents (API clients) and their access tokens; secrets and tokens stored only hashed
  `
  CREATE TABLE agents (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
  );
  CREATE UNIQUE INDEX agents_name ON agents (lower(name));
  CREATE TABLE agent_tokens (
    token_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES agents (client_id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE INDEX agent_tokens_client ON agent_tokens (client_id);
  CREATE INDEX agent_tokens_expires ON agent_tokens (expires_at);
  `,
  // 3: used one-time TACs by last use (see ../migrations.ts)
  `
  CREATE INDEX tacs_used ON tacs (last_used_at) WHERE one_time AND use_count > 0;
  `,
  // 4: no query uses the audit log's indexes on action and time
  `
  DROP INDEX audit_action;
  DROP INDEX audit_at;
  `,
  // 5: failed attempts since the last unlock or one-time sign-in (maxConsecutiveFailures)
  `
  ALTER TABLE users ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
  `,
  // 6: phone numbers in one canonical form (E.164); the plan is shared with SQLite (migrate-phones.ts)
  async (client, ctx) => {
    const rows = (await client.query('SELECT id, username, phone FROM users WHERE phone IS NOT NULL ORDER BY id')).rows as PhoneRow[];
    const { updates, region } = planPhones(rows, ctx);
    // Cleared first, then set: a canonical value may equal another row's old value (unique index).
    for (const [, id] of updates) await client.query('UPDATE users SET phone = NULL WHERE id = $1', [id]);
    for (const [e164, id] of updates) await client.query('UPDATE users SET phone = $1 WHERE id = $2', [e164, id]);
    if (!region) return;
    const policy = (await client.query('SELECT json FROM policy WHERE id = 1')).rows[0] as { json: string } | undefined;
    const json = withRegion(policy?.json, region);
    if (json) await client.query('INSERT INTO policy (id, json) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET json = excluded.json', [json]);
  },
  // 7: nothing. SQLite drops audit_user, which its audit query cannot use; PostgreSQL plans each
  // (unnamed) query with its values, so `$1 IS NULL OR user_id = $1` becomes `user_id = $1` and
  // audit_user serves `tac audit --user` on a long log: kept.
  'SELECT 1',
];

if (PG_MIGRATIONS.length !== MIGRATIONS.length) throw new Error('PG_MIGRATIONS must match MIGRATIONS one for one');

/** pg_advisory_lock key for migrations: any fixed number tac alone uses ("tac" + 1). */
const MIGRATION_LOCK = 0x74616301;

async function schemaVersion(client: PgSession): Promise<number> {
  const r = await client.query("SELECT to_regclass('tac_schema') IS NOT NULL AS present");
  if (!(r.rows[0] as { present: boolean }).present) return 0;
  return ((await client.query('SELECT version FROM tac_schema')).rows[0] as { version: number } | undefined)?.version ?? 0;
}

/**
 * Brings the schema to this binary's version, once however many replicas start together: the
 * work runs under a session advisory lock, and re-reads the version once it holds it (another
 * replica may have migrated meanwhile). Each migration commits with its new version number.
 */
export async function migrate(client: PgSession, ctx: MigrationContext): Promise<void> {
  const known = PG_MIGRATIONS.length;
  const check = (v: number) => {
    if (v > known) throw new TacError('internal', newerSchema(v, known));
  };
  const before = await schemaVersion(client);
  check(before);
  if (before === known) return;
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    await client.query('CREATE TABLE IF NOT EXISTS tac_schema (version INTEGER NOT NULL)');
    let version = await schemaVersion(client);
    check(version);
    for (; version < known; version++) {
      const m = PG_MIGRATIONS[version]!;
      await client.query('BEGIN');
      try {
        if (typeof m === 'string') await client.query(m);
        else await m(client, ctx);
        await client.query('DELETE FROM tac_schema');
        await client.query('INSERT INTO tac_schema (version) VALUES ($1)', [version + 1]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw e;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}
