import type { Policy } from './policy.js';
import type { AuditEvent, AuditQuery, NewAuditEvent, TacRecord, User } from './types.js';

/**
 * Everything the core needs from storage. The SQLite store implements it; the core never sees SQL.
 * Calls are synchronous: `transaction` runs its function atomically (an IMMEDIATE transaction in
 * SQLite, so concurrent writers queue instead of failing).
 */
export interface Store {
  transaction<T>(fn: () => T): T;

  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;

  insertUser(u: User): void;
  updateUser(id: string, patch: Partial<Omit<User, 'id'>>): void;
  deleteUser(id: string): void;
  getUser(id: string): User | undefined;
  findUser(field: 'username' | 'email' | 'phone', value: string): User | undefined;
  /** Case-insensitive substring match on username, email, name and phone; ordered by username. */
  searchUsers(query: string, opts: { guestsOnly: boolean; limit: number }): User[];

  insertTac(t: TacRecord): void;
  updateTac(id: string, patch: Partial<Omit<TacRecord, 'id' | 'userId' | 'codeHash'>>): void;
  getTac(id: string): TacRecord | undefined;
  /** Newest first. */
  iterateTacs(filter: { userId?: string }): Iterable<TacRecord>;
  /** TACs that may be purgeable: revoked, used or expired before `cutoff` (the core decides). */
  purgeCandidates(cutoff: string): TacRecord[];
  deleteTacs(ids: string[]): void;

  getPolicy(): Policy | undefined;
  savePolicy(p: Policy): void;

  appendAudit(e: NewAuditEvent): AuditEvent;
  queryAudit(q: AuditQuery): AuditEvent[];

  // Imports: a batch of rows at a time.
  /** The users whose email equals each of `emails` (case-insensitively), keyed by the string looked up. */
  usersByEmail(emails: readonly string[]): Map<string, User>;
  /** Whether any of these usernames (case-insensitively) or phone numbers belongs to a user. */
  anyTaken(usernames: readonly string[], phones: readonly string[]): boolean;
  /** Inserts users, then TACs, then audit events (in order), many rows per statement. */
  insertMany(rows: { users: readonly User[]; tacs: readonly TacRecord[]; audit: readonly NewAuditEvent[] }): void;
}
