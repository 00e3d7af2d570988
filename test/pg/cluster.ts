/**
 * A throwaway PostgreSQL cluster for the tests: vitest's globalSetup (vitest.config.ts) runs
 * `setup`, which, when PostgreSQL's binaries are installed (Debian: /usr/lib/postgresql/<v>/bin,
 * from .ci/run's apt packages), runs initdb and pg_ctl in a temp dir, on a private port with its
 * unix socket in that dir too, and stops and deletes it at the end (also after failures). As root
 * (CI) the server runs as the `postgres` user, which the Debian package creates: PostgreSQL
 * refuses to run as root. Each test file makes its own database (test/pg/db.ts).
 *
 * Without PostgreSQL the PostgreSQL tests are skipped on a developer's machine, but FAIL when
 * CI=true or TAC_REQUIRE_POSTGRES=1: CI can never silently skip them.
 */
import { pgBinDir, startPgCluster } from './cluster-lib.mjs';

export { pgBinDir };

export const PG_ADMIN_URL_KEY = 'pgAdminUrl';

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgresql:// URL of the test cluster's `postgres` database, or '' when there is none. */
    pgAdminUrl: string;
  }
}

export const postgresRequired = (env = process.env) => env.CI === 'true' || env.TAC_REQUIRE_POSTGRES === '1';

type Provide = (key: 'pgAdminUrl', value: string) => void;

export default function setup({ provide }: { provide: Provide }) {
  return startCluster(provide);
}

/** `where`: where PostgreSQL's versions are installed, and the environment (tests of this file). */
export async function startCluster(provide: Provide, where: { root?: string; env?: NodeJS.ProcessEnv } = {}) {
  const bin = pgBinDir(where.root);
  if (!bin) {
    if (postgresRequired(where.env)) throw new Error('PostgreSQL is required (CI=true or TAC_REQUIRE_POSTGRES=1) but no initdb was found under /usr/lib/postgresql/*/bin: install the postgresql package (.ci/run does)');
    provide('pgAdminUrl', '');
    return;
  }
  const cluster = await startPgCluster({ bin });
  provide('pgAdminUrl', cluster.url);
  return cluster.stop;
}
