import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, inject } from 'vitest';

/** The test cluster's admin URL (test/pg/cluster.ts), or '' when PostgreSQL is not installed here. */
export const pgAdminUrl = (): string => inject('pgAdminUrl');

/** describe() for PostgreSQL tests: skipped only where no cluster runs (cluster.ts fails CI instead). */
export const describePg = (name: string, fn: () => void) => (pgAdminUrl() ? describe(name, fn) : describe.skip(name, fn));

/** A new empty database on the test cluster; its postgresql:// URL. */
export async function createTestDatabase(prefix = 'tac'): Promise<string> {
  const admin = new pg.Client({ connectionString: pgAdminUrl() });
  await admin.connect();
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(pgAdminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}
