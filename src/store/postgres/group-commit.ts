import type * as Pg from 'pg';
import { runAsync, type Flow } from '../../core/flow.js';
import { TacError } from '../../core/errors.js';
import type { Row } from '../columns.js';
import { COMMIT_UNKNOWN, isConnectionFailure, pgError } from './errors.js';
import type { PgClient } from './pg.js';
import type { Session } from './transaction.js';
import { inline, sent, unsent, type RowChange, type Tx, type TxGroup, type UserView, type Write } from './tx.js';

/** What a group needs from the store (PgStore). */
export interface GroupingStore extends Session {
  /** Runs one flow in a transaction of its own: how a group that failed runs its flows again. */
  transaction<T>(fn: () => Flow<T>): Promise<T>;
}

/** Flows per transaction, at most: bounds a request's wait behind the others of its group. */
const MAX_GROUP = 64;
/**
 * Groups in flight per store, each on a pooled connection: one fills while the other is at the
 * database. Measured (`npm run bench`, verify over 1,000 users, 2 cores): 2 in flight served the
 * most verifies, 4 and 8 fewer (smaller groups: more round trips and COMMITs per verify, on CPU
 * the replica shares with PostgreSQL); the pool keeps its other connections for the rest.
 */
const MAX_IN_FLIGHT = 2;

interface Member {
  fn: () => Flow<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit on PostgreSQL (the server's verifies): flows that arrive while the previous groups
 * are at the database run in ONE transaction, side by side, and every one settles after the shared
 * COMMIT ("a response only after its commit", as on SQLite). A verify alone is three round trips
 * and a COMMIT (WAL flush) of its own; a group of N is three round trips and one COMMIT for all N.
 *
 * How N flows share one transaction and stay correct (see Group):
 * - Lock-step rounds: each flow runs until it waits for a statement; when every flow of the group
 *   waits (or is done), their statements go to PostgreSQL as one query, each flow's in its own
 *   order, and each gets its rows back. Writes wait for the next round or the COMMIT, as in a
 *   transaction of one (PgStore).
 * - One user, one flow at a time: a flow that locks a user another unfinished flow of its group
 *   locked waits until that flow is done, and then sees the user and its TACs as that flow left
 *   them (the group's view: the first read, with the group's changes applied) — so the flows of
 *   one group see each other as if they ran one after another. Flows of different groups, on
 *   this replica or another, queue on the row locks as single transactions do.
 * - Lock order: a round's statements are sent sorted by their text (the user they look up), so two
 *   groups that lock the same users lock them in the same order instead of deadlocking.
 * - Failure: when any flow throws, or PostgreSQL refuses a statement (a deadlock among them), the
 *   group rolls back and each of its flows runs again in a transaction of its own: a flow acts only
 *   on the store (core/service/core.ts), so it may run twice. A lost database fails the whole group
 *   as `unavailable` (during the COMMIT: "may have been applied", as for a single transaction).
 *
 * Only flows that lock at most one user, through getUser or findUser, and write nothing but
 * changes to users and TACs (updateUser, updateTac) and audit rows may be grouped (the server's
 * verify); anything else inside a group fails it, and its flows run alone.
 */
export class PgGroupCommit {
  private forming: Member[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly store: GroupingStore, private readonly maxGroup = MAX_GROUP, private readonly maxInFlight = MAX_IN_FLIGHT) {}

  run<T>(fn: () => Flow<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.forming.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      // The rest of this turn's requests join it.
      if (!this.scheduled) {
        this.scheduled = true;
        this.store.outside(() => setImmediate(() => {
          this.scheduled = false;
          this.pump();
        }));
      }
    });
  }

  private pump(): void {
    while (this.forming.length && this.inFlight < this.maxInFlight) {
      const members = this.forming.splice(0, this.maxGroup);
      this.inFlight++;
      void new Group(this.store, members).run().finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }
}

/** A statement batch a flow waits for: its statements (inlined) and where its rows go. */
interface Waiting {
  tx: Tx;
  sqls: string[];
  resolve: (rows: Row[][]) => void;
  reject: (e: unknown) => void;
}

/** A read: a SELECT, or an EXECUTE of a prepared read (prepared.ts prepares only reads). */
const READ = /^\s*(SELECT|EXECUTE)\b/i;

/** Thrown into flows still waiting when their group gives up: they are run again by themselves. */
const ABANDONED = new Error('group abandoned');

/** One transaction carrying several flows; see PgGroupCommit. */
class Group implements TxGroup {
  private readonly tx: Tx;
  private waiting: Waiting[] = [];
  /** Which member holds each user locked by the group (the last to lock it). */
  private readonly owners = new Map<string, Tx>();
  /** Each locked user and its TACs as the group has made them so far. */
  private readonly views = new Map<string, UserView>();
  /** Members waiting for a user another member holds: the user, and how to wake them. */
  private readonly parked = new Map<Tx, { userId: string; wake: () => void }>();
  private readonly members = new Map<Tx, Member>();
  /** What each member that is done returned (done: it has a value here). */
  private readonly values = new Map<Tx, unknown>();
  private inQuery = false;
  private scheduled = false;
  private over = false;
  private lost: unknown;
  private settle!: () => void;

  constructor(private readonly store: GroupingStore, private readonly list: Member[]) {
    this.tx = { client: undefined as unknown as PgClient, begun: false, writes: [] };
  }

  /** Resolves when every member has settled. */
  async run(): Promise<void> {
    let client: PgClient;
    try {
      client = await this.store.connect();
    } catch (e) {
      for (const m of this.list) m.reject(e);
      return;
    }
    this.tx.client = client;
    client.on('error', this.onLost);
    const finished = new Promise<void>((resolve) => (this.settle = resolve));
    for (const m of this.list) {
      const tx: Tx = { client, begun: true, writes: [], group: this };
      this.members.set(tx, m);
      this.store.within(tx, () => runAsync(m.fn())).then(
        (value) => this.finished(tx, value),
        (e: unknown) => void this.fail(e),
      );
    }
    this.schedule();
    await finished;
  }

  private readonly onLost = (e: unknown) => {
    this.lost = e;
  };

  /** Where a member's statements go: the next round. Resolves with one row list per statement. */
  statements(tx: Tx, sqls: readonly string[], params: readonly unknown[]): Promise<Row[][]> {
    if (this.over) return Promise.reject(ABANDONED);
    // Reads only: the group's views of its users follow its writes (see write), not statements.
    if (sqls.some((sql) => !READ.test(sql))) return Promise.reject(new Error('group commit: only reads are sent as statements'));
    const inlined = sqls.map((sql) => inline(tx.client, sql, params));
    // A value that cannot be inlined (a NUL) is not for a group: it runs by itself.
    if (inlined.some((x) => x === undefined)) return Promise.reject(new Error('group commit: a parameter cannot be inlined'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ tx, sqls: inlined as string[], resolve, reject });
      this.schedule();
    });
  }

  /**
   * A write nothing reads back: with the next round or the COMMIT. A change to a user or a TAC
   * (`change`, by column) is applied to the group's view of it too; a group follows no other write.
   */
  write(w: Write, change?: RowChange): void {
    if (typeof w === 'string' || ('table' in w && !change)) throw new Error('group commit: a write the group cannot follow (not for a grouped flow)');
    if (change?.table === 'users') {
      const v = this.views.get(change.id);
      if (v) v.user = { ...v.user, ...change.row };
    } else if (change) {
      for (const v of this.views.values()) v.tacs = v.tacs.map((r) => (r.id === change.id ? { ...r, ...change.row } : r));
    }
    this.tx.writes.push(w);
  }

  /**
   * Member `tx` has locked user `userId` and read it (`read`). The first member to lock a user
   * goes on with what it read; a later one goes on, once the member before it is done, with the
   * group's view of the user — the first read with every change made since — which is what
   * reading it again after their writes would return, without the round trip (no other
   * transaction can change the user while this one holds its row).
   */
  lock(tx: Tx, userId: string, read: UserView): UserView | Promise<UserView> {
    const owner = this.owners.get(userId);
    if (owner === undefined) {
      this.owners.set(userId, tx);
      this.views.set(userId, read);
      return read;
    }
    if (owner === tx || this.values.has(owner)) {
      this.owners.set(userId, tx);
      return this.views.get(userId)!;
    }
    return new Promise<UserView>((resolve) => this.parked.set(tx, {
      userId,
      wake: () => {
        this.owners.set(userId, tx);
        resolve(this.views.get(userId)!);
      },
    }));
  }

  private finished(tx: Tx, value: unknown): void {
    if (this.over) return;
    this.values.set(tx, value);
    // The first member waiting for a user this one held goes on (the others wait for it in turn).
    const woken = new Set<string>();
    for (const [waiter, { userId, wake }] of [...this.parked]) {
      if (this.owners.get(userId) !== tx || woken.has(userId)) continue;
      woken.add(userId);
      this.parked.delete(waiter);
      wake();
    }
    this.schedule();
  }

  /** The next step once every member has moved: a round, the COMMIT, or nothing yet. */
  private schedule(): void {
    if (this.scheduled || this.inQuery || this.over) return;
    this.scheduled = true;
    // After the microtasks: every member woken by the last answer has run to its next statement.
    // Outside any member's transaction: a member calling this must not lend it its context.
    this.store.outside(() => setImmediate(() => {
      this.scheduled = false;
      void this.step();
    }));
  }

  private async step(): Promise<void> {
    if (this.over || this.inQuery) return;
    if (this.waiting.length) return this.round();
    if (this.values.size === this.members.size) return this.commit();
    // Members parked on each other with none able to go on: not a shape a grouped flow has.
    if (this.parked.size) return this.fail(new Error('group commit: members wait on each other'));
  }

  private async round(): Promise<void> {
    const round = this.waiting.sort((a, b) => (a.sqls[0]! < b.sqls[0]! ? -1 : a.sqls[0]! > b.sqls[0]! ? 1 : 0));
    this.waiting = [];
    // The same read by several members is sent once (it locks nothing more the second time);
    // prepared statements are reads (prepared.ts).
    const texts: string[] = [];
    const seen = new Map<string, number>();
    const slots = round.map((w) => w.sqls.map((sql) => {
      if (!READ.test(sql)) return texts.push(sql) - 1;
      let i = seen.get(sql);
      if (i === undefined) seen.set(sql, (i = texts.push(sql) - 1));
      return i;
    }));
    const before = unsent(this.tx);
    let results: Pg.QueryResult[];
    this.inQuery = true;
    try {
      const r = (await this.tx.client.query([before, ...texts].filter(Boolean).join('; '))) as unknown as Pg.QueryResult | Pg.QueryResult[];
      results = Array.isArray(r) ? r : [r];
    } catch (e) {
      this.inQuery = false;
      const failed = this.fail(e);
      for (const w of round) w.reject(ABANDONED);
      return failed;
    }
    this.inQuery = false;
    sent(this.tx);
    this.store.succeeded();
    const mine = results.slice(results.length - texts.length);
    round.forEach((w, k) => w.resolve(slots[k]!.map((i) => mine[i]!.rows as Row[])));
    this.schedule();
  }

  private async commit(): Promise<void> {
    this.over = true;
    const rest = this.tx.begun || this.tx.writes.length ? unsent(this.tx) : undefined;
    try {
      if (rest !== undefined) await this.tx.client.query(`${rest}; COMMIT`);
    } catch (e) {
      if (this.lost !== undefined || isConnectionFailure(pgError(e))) {
        this.store.failure(this.lost ?? e);
        return this.end(true, () => new TacError('unavailable', COMMIT_UNKNOWN, { cause: this.lost ?? e }));
      }
      return this.rollBack();
    }
    sent(this.tx);
    this.store.succeeded();
    this.release(false);
    for (const [tx, m] of this.members) m.resolve(this.values.get(tx));
    this.settle();
  }

  /** A member threw or PostgreSQL refused a round: roll back, and run each member by itself. */
  private async fail(e: unknown): Promise<void> {
    if (this.over) return;
    this.over = true;
    for (const w of this.waiting) w.reject(ABANDONED);
    this.waiting = [];
    for (const { wake } of this.parked.values()) wake();
    this.parked.clear();
    // A member that threw because of the first failure, or an abandoned one, is run again below.
    if (e === ABANDONED) return;
    if (this.lost !== undefined || isConnectionFailure(pgError(e))) {
      const failure = this.store.failure(this.lost ?? e);
      return this.end(true, () => failure);
    }
    return this.rollBack();
  }

  private async rollBack(): Promise<void> {
    let broken = false;
    // Wait for a round still at the database: the connection answers one query at a time.
    if (this.tx.begun) broken = await this.tx.client.query('ROLLBACK').then(() => false, () => true);
    this.release(broken);
    // Each member by itself, at once, in parallel on the pool, as if it had never been grouped.
    await Promise.all([...this.members.values()].map((m) => this.store.outside(() => this.store.transaction(m.fn)).then(m.resolve, m.reject)));
    this.settle();
  }

  /** Ends the group with an error for every member (the database went away). */
  private end(broken: boolean, error: () => unknown): void {
    this.release(broken);
    for (const m of this.members.values()) m.reject(error());
    this.settle();
  }

  private release(broken: boolean): void {
    this.tx.client.off('error', this.onLost);
    // A truthy argument destroys the client: a broken one never goes back to the pool.
    this.tx.client.release(broken || this.lost !== undefined || this.tx.preparing === true);
  }
}
