import type { BatchOutcome } from './store.js';

/** What GroupCommit needs from the store (SqliteStore). */
export interface BatchingStore {
  atomic<T>(fn: () => T): T;
  transactionBatch(fns: readonly (() => unknown)[]): BatchOutcome[];
}

interface Job {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** More than this many waiting writes are split over several transactions, to bound latency. */
const MAX_BATCH = 256;

/**
 * Group commit for the server: writes that arrive during one turn of the event loop (while the
 * previous batch was being prepared and committed) run in ONE SQLite transaction, each in its own
 * savepoint and in arrival order (SqliteStore.transactionBatch), and every promise settles only
 * after the shared COMMIT. The result is that of running them one after another, so one-time codes
 * are consumed exactly once, failures are counted exactly and every verify is audited; the WAL is
 * written and committed once per batch instead of once per request.
 *
 * The functions are synchronous and the batch runs without yielding, so no other request on this
 * connection can read a batch's uncommitted state. When one of them throws, the batch runs again
 * with savepoints (see transactionBatch): a function may run twice, so it must not act outside the
 * database except in ways a second run repeats harmlessly (clearing a cache, drawing a new code).
 */
export class GroupCommit {
  private queue: Job[] = [];
  private scheduled = false;

  constructor(private readonly store: BatchingStore, private readonly maxBatch = MAX_BATCH) {}

  /** Runs `fn` in the next group transaction; resolves with its result once that is committed. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After the I/O callbacks of this turn: every request whose body arrived in it joins the batch.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const jobs = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
    this.queue = this.queue.length <= this.maxBatch ? [] : this.queue.slice(this.maxBatch);
    if (this.queue.length) this.schedule();
    if (jobs.length === 1) {
      // Alone: a plain transaction (no savepoint) has the same meaning and costs less.
      const job = jobs[0]!;
      let value: unknown;
      try {
        value = this.store.atomic(job.fn);
      } catch (e) {
        job.reject(e);
        return;
      }
      job.resolve(value);
      return;
    }
    let outcomes: BatchOutcome[];
    try {
      outcomes = this.store.transactionBatch(jobs.map((j) => j.fn));
    } catch (e) {
      for (const j of jobs) j.reject(e);
      return;
    }
    jobs.forEach((j, i) => {
      const o = outcomes[i]!;
      if (o.ok) j.resolve(o.value);
      else j.reject(o.error);
    });
  }
}
