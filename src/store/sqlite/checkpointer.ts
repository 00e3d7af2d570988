import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { sqliteAddonPath } from './addon.js';
import type { SqliteStore } from './store.js';

/** How often the background connection looks for new commits to checkpoint. */
const INTERVAL_MS = 50;
/**
 * The server's own connection still checkpoints past this many WAL pages (16 MiB), so the WAL stays
 * bounded if the background one falls behind; with it running there is little left to copy then.
 */
const SERVER_AUTOCHECKPOINT_PAGES = 4000;

/**
 * The worker: its own connection to the database, which runs a PASSIVE checkpoint (copy committed
 * WAL pages into the database file, sync both; never blocks writers or readers) whenever another
 * connection has committed since the last look. Plain CommonJS in a string, so it runs the same
 * from the bundle (dist/cli/tac.cjs), from dist/ and under the tests.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.dbPath, { timeout: 15000, fileMustExist: true, ...(workerData.addon ? { nativeBinding: workerData.addon } : {}) });
const version = db.prepare('PRAGMA data_version').pluck();
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
// Nothing seen yet: the first look checkpoints whatever the WAL holds.
let seen;
const timer = setInterval(() => {
  const v = version.get();
  if (v === seen) return;
  seen = v;
  checkpoint.run();
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface BackgroundCheckpoints {
  /** Stops the worker and closes its connection (before the server closes its own). */
  stop(): Promise<void>;
}

/**
 * For `tac serve`: moves WAL checkpoints off the event loop. SQLite checkpoints in the connection
 * that commits, once the WAL passes 1,000 pages, and a checkpoint syncs the WAL and the database
 * file: under load that stalled every request for 15–30 ms every ~150 commits (the p99). Here a
 * worker thread with its own connection checkpoints every INTERVAL_MS instead, and the server's
 * connection only past SERVER_AUTOCHECKPOINT_PAGES. Durability is unchanged: a commit is in the
 * WAL before its response either way (synchronous = NORMAL), and checkpoints sync as before.
 * `onError` hears of a failed worker; the server's own checkpoints then carry on alone.
 */
export function checkpointInBackground(store: SqliteStore, dbPath: string, onError: (e: Error) => void): BackgroundCheckpoints {
  store.db.pragma(`wal_autocheckpoint = ${SERVER_AUTOCHECKPOINT_PAGES}`);
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), addon: sqliteAddonPath(), dbPath, intervalMs: INTERVAL_MS },
  });
  worker.unref();
  let exited = false;
  const exit = new Promise<void>((resolve) => worker.once('exit', () => {
    exited = true;
    resolve();
  }));
  worker.on('error', (e: unknown) => {
    store.db.pragma('wal_autocheckpoint = 1000');
    // A SqliteError arrives from the worker as a plain object: keep what it says.
    const err = e as { message?: string; code?: string };
    onError(e instanceof Error ? e : new Error(err?.message ?? err?.code ?? String(e)));
  });
  return {
    async stop() {
      if (exited) return;
      // Kept alive while it closes its connection, so the caller's next step (closing ours) runs.
      worker.ref();
      worker.postMessage('stop');
      await exit;
    },
  };
}
