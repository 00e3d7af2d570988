import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { RouteOptions } from 'fastify';
import pg from 'pg';
import { describe } from 'vitest';
import type { EngineBackend } from '../../src/backends/engine-backend.js';
import { LocalBackend } from '../../src/backends/local.js';
import { openEngineBackend } from '../../src/backends/open.js';
import type { Role } from '../../src/core/agents.js';
import { FakeClock } from '../../src/core/clock.js';
import { AgentService } from '../../src/server/agent-service.js';
import { buildApp, type AppOptions, type TacServer } from '../../src/server/app.js';
import type { PgEngine } from '../../src/store/postgres/engine.js';
import { createTestDatabase, describePg } from '../pg/db.js';

export const START = '2026-01-01T00:00:00.000Z';

export interface Creds {
  clientId: string;
  clientSecret: string;
}

/** The database engines the server suites run on. */
export type EngineName = 'sqlite' | 'postgres';

/**
 * Declares `name` once per engine: SQLite, and PostgreSQL on a database of the shared test cluster
 * (wherever describePg runs). `fn` builds its servers with `makeServer({ engine })`.
 */
export function describeEngines(name: string, fn: (engine: EngineName) => void): void {
  describe(`${name} [sqlite]`, () => fn('sqlite'));
  describePg(`${name} [postgres]`, () => fn('postgres'));
}

/** A database of `engine` for the server: a SQLite file in `dir`, or a new database's postgresql:// URL. */
export async function newDatabase(engine: EngineName, dir: string): Promise<string> {
  return engine === 'postgres' ? createTestDatabase('server') : join(dir, 'tac.db');
}

/** Rows of a query run on the database itself (a SQLite file or a postgresql:// URL), around tac. */
export async function rawQuery<T = Record<string, unknown>>(dbPath: string, sql: string): Promise<T[]> {
  if (!/^postgres(ql)?:\/\//.test(dbPath)) {
    const raw = new Database(dbPath);
    try {
      const stmt = raw.prepare(sql);
      return (stmt.reader ? stmt.all() : (stmt.run(), [])) as T[];
    } finally {
      raw.close();
    }
  }
  const client = new pg.Client({ connectionString: dbPath });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

export interface ServerHarness {
  app: TacServer;
  engine: EngineName;
  backend: EngineBackend;
  /** The SQLite backend (its store, its synchronous service): only for SQLite-specific tests. */
  sqlite(): LocalBackend;
  /** Closes the database under the server (its connection, or its pool), to provoke internal errors. */
  breakDatabase(): Promise<void>;
  clock: FakeClock;
  dir: string;
  /** The SQLite file, or the PostgreSQL database's URL. */
  dbPath: string;
  keyPath: string;
  /** Every request log line, parsed. */
  logs: () => Record<string, unknown>[];
  rawLogs: () => string;
  routes: RouteOptions[];
  agent(role: Role, name?: string): Promise<Creds>;
  token(creds: Creds, scope?: string): Promise<string>;
  /** A bearer token for a fresh agent of this role. */
  tokenFor(role: Role): Promise<string>;
  close(): Promise<void>;
}

export function tempDb(): { dir: string; dbPath: string; keyPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tac-server-'));
  return { dir, dbPath: join(dir, 'tac.db'), keyPath: join(dir, 'hmac.key') };
}

/** The app over a fresh database of `engine` (SQLite by default), on a FakeClock, for app.inject. */
export async function makeServer({ engine = 'sqlite', ...opts }: Partial<AppOptions> & { engine?: EngineName } = {}): Promise<ServerHarness> {
  const { dir, keyPath } = tempDb();
  const dbPath = await newDatabase(engine, dir);
  const clock = (opts.clock as FakeClock | undefined) ?? new FakeClock(START);
  const backend = await openEngineBackend({ dbPath, keyPath, actor: 'tester', clock });
  const lines: string[] = [];
  const routes: RouteOptions[] = [];
  const app = await buildApp({ backend, clock, stderr: { write: (s) => lines.push(s) }, onRoute: (r) => routes.push(r), ...opts });
  const agents = new AgentService(backend.engine, clock);
  let n = 0;

  const h: ServerHarness = {
    app, engine, backend, clock, dir, dbPath, keyPath, routes,
    sqlite() {
      if (!(backend instanceof LocalBackend)) throw new Error(`the ${engine} harness has no SQLite backend`);
      return backend;
    },
    async breakDatabase() {
      if (backend instanceof LocalBackend) backend.store.db.close();
      else await (backend.engine as PgEngine).pool.end();
    },
    logs: () => lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
    rawLogs: () => lines.join(''),
    async agent(role, name = `${role}-${++n}`) {
      const c = await agents.create({ core: backend.core, actor: 'tester' }, { name, role });
      return { clientId: c.clientId, clientSecret: c.clientSecret };
    },
    async token(creds, scope) {
      const res = await app.inject({
        method: 'POST', url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret, ...(scope ? { scope } : {}),
        }).toString(),
      });
      if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`);
      return res.json().access_token as string;
    },
    async tokenFor(role) {
      return h.token(await h.agent(role));
    },
    async close() {
      await app.close();
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
