import type { Flow, MaybePromise } from './flow.js';
import type { Policy } from './policy.js';
import type { AuditEvent, AuditQuery, NewAuditEvent, TacRecord, User } from './types.js';

/**
 * Everything the core needs from storage; the core never sees SQL. A synchronous store (SQLite)
 * returns values, an asynchronous one (PostgreSQL) promises: the core reads both through `q` (flow.ts).
 *
 * `transaction` runs a generator function atomically and returns what it returns: SQLite in an
 * IMMEDIATE transaction (concurrent writers queue instead of failing), PostgreSQL on one pooled
 * connection between BEGIN and COMMIT. Inside a transaction, reading a user (getUser, findUser)
 * or a TAC (getTac) is what serializes concurrent changes to that user: PostgreSQL locks the user's
 * row (`FOR UPDATE`) there, SQLite holds its one write lock already. A nested call joins the outer
 * transaction.
 */
export interface Store {
  transaction<T>(fn: () => Flow<T>): MaybePromise<T>;

  /** `forUpdate`: the caller may set it in this transaction (PostgreSQL serializes such callers). */
  getMeta(key: string, opts?: { forUpdate?: boolean }): MaybePromise<string | undefined>;
  setMeta(key: string, value: string): MaybePromise<void>;

  insertUser(u: User): MaybePromise<void>;
  updateUser(id: string, patch: Partial<Omit<User, 'id'>>): MaybePromise<void>;
  deleteUser(id: string): MaybePromise<void>;
  getUser(id: string): MaybePromise<User | undefined>;
  findUser(field: 'username' | 'email' | 'phone', value: string): MaybePromise<User | undefined>;
  /** Case-insensitive substring match on username, email, name and phone; ordered by username. */
  searchUsers(query: string, opts: { guestsOnly: boolean; limit: number }): MaybePromise<User[]>;

  insertTac(t: TacRecord): MaybePromise<void>;
  updateTac(id: string, patch: Partial<Omit<TacRecord, 'id' | 'userId' | 'codeHash'>>): MaybePromise<void>;
  getTac(id: string): MaybePromise<TacRecord | undefined>;
  /** Newest first. */
  iterateTacs(filter: { userId?: string }): MaybePromise<Iterable<TacRecord>>;
  /**
   * Every TAC, newest first, `size` at a time: pass a page's `next` for the page after it (no
   * `next`: that was the last). Listing reads only as many pages as it shows.
   */
  tacPage(size: number, after?: number): MaybePromise<{ tacs: TacRecord[]; next?: number }>;
  /** TACs that may be purgeable: revoked, used or expired before `cutoff` (the core decides). */
  purgeCandidates(cutoff: string): MaybePromise<TacRecord[]>;
  /** The ids it deleted: a TAC another process purged (or deleted with its user) meanwhile is not among them. */
  deleteTacs(ids: string[]): MaybePromise<string[]>;

  /** `forUpdate`: the caller will save a policy derived from this one (PostgreSQL serializes such changes). */
  getPolicy(opts?: { forUpdate?: boolean }): MaybePromise<Policy | undefined>;
  savePolicy(p: Policy): MaybePromise<void>;

  /** Nothing reads the new row's id: PostgreSQL sends the INSERT with the COMMIT (see PgStore). */
  appendAudit(e: NewAuditEvent): MaybePromise<void>;
  queryAudit(q: AuditQuery): MaybePromise<AuditEvent[]>;

  // Imports: a batch of rows at a time.
  /** The users whose email equals each of `emails` (case-insensitively), keyed by the string looked up. */
  usersByEmail(emails: readonly string[]): MaybePromise<Map<string, User>>;
  /** Whether any of these usernames (case-insensitively) or phone numbers belongs to a user. */
  anyTaken(usernames: readonly string[], phones: readonly string[]): MaybePromise<boolean>;
  /** Inserts users, then TACs, then audit events (in order), many rows per statement. */
  insertMany(rows: { users: readonly User[]; tacs: readonly TacRecord[]; audit: readonly NewAuditEvent[] }): MaybePromise<void>;
}
