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
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const PG_ADMIN_URL_KEY = 'pgAdminUrl';

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgresql:// URL of the test cluster's `postgres` database, or '' when there is none. */
    pgAdminUrl: string;
  }
}

/** The newest installed PostgreSQL's bin dir (initdb, pg_ctl, pg_dump), if any. */
export function pgBinDir(root = '/usr/lib/postgresql'): string | undefined {
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
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
  const dir = mkdtempSync(join(tmpdir(), 'tac-pg-'));
  const asRoot = userInfo().uid === 0;
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  const run = (cmd: string, args: string[]) => execFileSync(asRoot ? 'runuser' : join(bin, cmd), asRoot ? ['-u', 'postgres', '--', join(bin, cmd), ...args] : args, { stdio: 'pipe', cwd: dir });
  const data = join(dir, 'data');
  const stop = () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const port = await freePort();
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
    // A test cluster: no durability needed, and few resources on a shared 2-core machine.
    writeFileSync(join(data, 'postgresql.auto.conf'), [
      `port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`,
      'fsync = off', 'synchronous_commit = off', 'full_page_writes = off', 'max_connections = 200', 'shared_buffers = 64MB',
    ].join('\n'), { flag: 'a' });
    if (asRoot) execFileSync('chown', ['postgres:postgres', join(data, 'postgresql.auto.conf')]);
    run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    provide('pgAdminUrl', `postgresql://postgres@127.0.0.1:${port}/postgres`);
  } catch (e) {
    // Half started (initdb or pg_ctl failed): stop what runs, remove the dir, fail the run.
    try {
      stop();
    } catch {
      // nothing was running
    }
    throw e;
  }
  return stop;
}
