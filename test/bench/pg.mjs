// The PostgreSQL side of the serve benchmark: a private cluster with durable settings, one
// database, the same data as the SQLite server, and `tac serve` replicas on it sharing one key file.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startPgCluster } from '../pg/cluster-lib.mjs';
import { startProcess, tacCommand } from './lib.mjs';

/**
 * PostgreSQL's defaults for durability, spelled out: every COMMIT waits for its WAL to be flushed
 * (fdatasync), so a committed verify survives power loss. That is stricter than the SQLite server
 * (WAL with synchronous = NORMAL: a commit is durable against a process crash, not power loss,
 * which is what synchronous_commit = off gives here; `--pg-sync off` measures that).
 */
export const benchSettings = (synchronousCommit = 'on') => [
  'fsync = on', `synchronous_commit = ${synchronousCommit}`, 'full_page_writes = on',
  'max_connections = 100', 'shared_buffers = 128MB',
];

/**
 * Starts the cluster, creates database `tac_bench`, seeds it with `seed(env)` (the same `tac`
 * commands as the SQLite server, TAC_DB pointing here) and starts `replicas` servers on it.
 */
export async function startPgReplicas({ tacBin, env, home, replicas, synchronousCommit, poolSize = 10, seed, serverEnv }) {
  const cluster = await startPgCluster({ settings: benchSettings(synchronousCommit), prefix: 'tac-bench-pg-' });
  const servers = [];
  const stop = async () => {
    for (const s of servers) await s.stop();
    cluster.stop();
  };
  try {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE tac_bench');
    const version = (await admin.query('SHOW server_version')).rows[0].server_version;
    await admin.end();
    const url = new URL(cluster.url);
    url.pathname = '/tac_bench';
    // One key file for every process: replicas must hash codes alike.
    const pgEnv = { ...env, TAC_DB: url.toString(), TAC_KEY_FILE: join(home, 'pg-hmac.key') };
    const seeded = seed(pgEnv);
    for (let i = 0; i < replicas; i++) {
      const logFd = openSync(join(home, `serve-pg-${i + 1}.log`), 'w');
      const s = startProcess(...tacCommand(tacBin, ['serve', '--port', '0', '--json', '--pool-size', String(poolSize)]), { env: { ...pgEnv, ...serverEnv }, stderrFd: logFd });
      closeSync(logFd);
      servers.push(s);
    }
    const urls = [];
    for (const s of servers) urls.push((await s.ready).url);
    // PostgreSQL's processes: the postmaster and its children (backends, WAL writer, checkpointer).
    const postmaster = Number(readFileSync(join(cluster.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return { urls, pids: servers.map((s) => s.child.pid), postmaster, seeded, version, settings: benchSettings(synchronousCommit), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
