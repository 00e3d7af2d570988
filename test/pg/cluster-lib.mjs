// A throwaway PostgreSQL cluster: initdb + pg_ctl in a temp dir, on a private loopback port with
// its unix socket in that dir too. Plain JavaScript so the vitest global setup (cluster.ts), the
// fault tests (which stop and restart their own cluster) and `npm run bench` share it.
// As root (CI) the server runs as the `postgres` user, which Debian's package creates:
// PostgreSQL refuses to run as root.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** The newest installed PostgreSQL's bin dir (initdb, pg_ctl, pg_dump), if any. */
export function pgBinDir(root = '/usr/lib/postgresql') {
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'initdb')));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Settings of a test cluster: no durability needed, and few resources on a shared 2-core machine. */
export const TEST_SETTINGS = ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off', 'max_connections = 200', 'shared_buffers = 64MB'];

/**
 * Starts a new cluster. `settings`: postgresql.conf lines (TEST_SETTINGS by default; a benchmark
 * passes durable ones); `beforeStart(dataDir)` may write files into the data dir first (its own
 * pg_hba.conf, say). Returns its admin URL (database `postgres`, user `postgres`, trust auth)
 * and `stop()` (stops it and deletes the dir), `halt()` / `resume()` (stop the server, keeping its
 * data and port, and start it again: the fault tests' "database goes away").
 */
export async function startPgCluster({ bin = pgBinDir(), settings = TEST_SETTINGS, prefix = 'tac-pg-', beforeStart = undefined } = {}) {
  if (!bin) throw new Error('no PostgreSQL found under /usr/lib/postgresql/*/bin (install the postgresql package)');
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const asRoot = userInfo().uid === 0;
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  const run = (cmd, args) => execFileSync(asRoot ? 'runuser' : join(bin, cmd), asRoot ? ['-u', 'postgres', '--', join(bin, cmd), ...args] : args, { stdio: 'pipe', cwd: dir });
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const halt = (mode = 'fast') => void run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
  const resume = () => void run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', 'start']);
  let running = false;
  const stop = () => {
    try {
      if (running) halt('immediate');
    } finally {
      running = false;
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const port = await freePort();
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
    writeFileSync(join(data, 'postgresql.auto.conf'), [
      `port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, ...settings,
    ].join('\n'), { flag: 'a' });
    // A test's own files in the data dir (a pg_hba.conf of its own, say), written as this user.
    beforeStart?.(data);
    if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', data]);
    resume();
    running = true;
    return {
      url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
      port,
      dir,
      bin,
      stop,
      halt: () => {
        halt();
        running = false;
      },
      resume: () => {
        resume();
        running = true;
      },
    };
  } catch (e) {
    // Half started (initdb or pg_ctl failed): stop what runs, remove the dir, fail.
    try {
      stop();
    } catch {
      // nothing was running
    }
    throw e;
  }
}
