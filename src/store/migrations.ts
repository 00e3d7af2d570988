import type Database from 'better-sqlite3';
import { canonicalizePhones, type MigrationContext } from './migrate-phones.js';

/** SQL, or code for a migration that must look at each row. */
export type Migration = string | ((db: Database.Database, ctx: MigrationContext) => void);

/**
 * Versioned schema migrations, applied in order inside one IMMEDIATE transaction each, tracked by
 * PRAGMA user_version. Never edit a shipped migration: add the next one.
 */
export const MIGRATIONS: readonly Migration[] = [
  // 1: users, TACs, policy, audit
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    name TEXT,
    guest INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE UNIQUE INDEX users_username ON users (username COLLATE NOCASE);
  CREATE UNIQUE INDEX users_email ON users (email COLLATE NOCASE);
  CREATE UNIQUE INDEX users_phone ON users (phone) WHERE phone IS NOT NULL;
  CREATE TABLE tacs (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    case_sensitive INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    one_time INTEGER NOT NULL,
    use_count INTEGER NOT NULL DEFAULT 0,
    last_used_at TEXT,
    revoked_at TEXT,
    revoked_reason TEXT,
    reason TEXT,
    created_by TEXT NOT NULL
  );
  CREATE INDEX tacs_user ON tacs (user_id);
  CREATE INDEX tacs_expires ON tacs (expires_at);
  CREATE INDEX tacs_revoked ON tacs (revoked_at) WHERE revoked_at IS NOT NULL;
  CREATE TABLE policy (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
  );
  CREATE UNIQUE INDEX agents_name ON agents (name COLLATE NOCASE);
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
  // 3: used one-time TACs by last use, so that finding purgeable TACs (at every issue) searches three
  // indexes instead of scanning every TAC. Partial: multi-use codes' verifies never touch it.
  `
  CREATE INDEX tacs_used ON tacs (last_used_at) WHERE one_time = 1 AND use_count > 0;
  `,
  // 4: no query uses the audit log's indexes on action and time (the audit query walks the log
  // newest first by id and filters), yet every event updated both: an import writes two events
  // per guest.
  `
  DROP INDEX audit_action;
  DROP INDEX audit_at;
  `,
  // 5: failed attempts since the last unlock or one-time sign-in, for the policy's hard cap
  // (maxConsecutiveFailures); a timed lockout's count restarts, this one does not.
  `
  ALTER TABLE users ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
  `,
  // 6: phone numbers in one canonical form (E.164), so a number typed with and without + is one user.
  canonicalizePhones,
  // 7: nor can any query use audit_user (EXPLAIN QUERY PLAN of the audit query, with or without a
  // user, is a scan newest first: its filter is `@userId IS NULL OR user_id = @userId`), yet an
  // import updated it twice per guest.
  `
  DROP INDEX audit_user;
  `,
];

/** The refusal of a database ahead of this binary (SQLite and PostgreSQL alike): one line, both versions. */
export const newerSchema = (found: number, known: number): string =>
  `the database schema (version ${found}) is newer than this tac understands (version ${known}); upgrade tac`;
