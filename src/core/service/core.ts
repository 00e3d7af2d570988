import { iso, type Clock } from '../clock.js';
import { cryptoRandomInt, type CodeHasher, type RandomInt } from '../codes.js';
import { truncate } from '../duration.js';
import { invalid, notFound, TacError } from '../errors.js';
import { q, type Flow } from '../flow.js';
import { phoneDigits } from '../phone.js';
import { DEFAULT_POLICY, mergePolicy, type Policy } from '../policy.js';
import type { Store } from '../store.js';
import type { NewAuditEvent, User } from '../types.js';
import { detectUserRef } from '../users.js';

export interface ServiceDeps {
  store: Store;
  clock: Clock;
  hasher: CodeHasher;
  /** Who acts: the OS user locally, `agent:<name>` on the server. Recorded in every audit event. */
  actor: string;
  random?: RandomInt;
}

export const MAX_LIST_LIMIT = 1000;

/**
 * What every part of TacCore (../service.ts) shares: its dependencies and the lookups several
 * parts need (the policy, users by reference). Each part extends this class so its methods can
 * use them as `this.*`; helpers that are not public API are the functions below, taking the core.
 *
 * Why generators. The rules run over SQLite (better-sqlite3: synchronous) and over PostgreSQL
 * (pg: every query a promise), and must stay written once. Plain async functions would give
 * SQLite a promise and a microtask per store call, and would let other requests' code run between
 * a transaction's statements: SQLite's transactions would need a mutex and group commit (one
 * synchronous batch of requests per COMMIT) would be gone. So every core method is a generator
 * function that writes `yield* q(store.x())` where async code would write `await store.x()`:
 * - SQLite's store never returns a promise, so the generator never yields; runSync (flow.ts) runs
 *   it in one `next()` and checks it finished. The SQLite path stays strictly synchronous: a
 *   transaction is atomic on one thread exactly as before, nothing interleaves.
 * - PostgreSQL's store returns promises; runAsync awaits each one the generator yields and resumes it.
 * `store.transaction(fn)` takes a generator function for the same reason, and may run it more than
 * once (a group commit run again with savepoints, a PostgreSQL transaction retried after a
 * deadlock): a flow acts only on the store and its own return value.
 */
export class ServiceCore {
  readonly store: Store;
  readonly clock: Clock;
  readonly hasher: CodeHasher;
  readonly actor: string;
  readonly random: RandomInt;

  constructor(deps: ServiceDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.hasher = deps.hasher;
    this.actor = deps.actor;
    this.random = deps.random ?? cryptoRandomInt;
  }

  /**
   * Records the key's fingerprint on first use and refuses a database created under another key:
   * with the wrong key no stored code could ever verify, and new codes would be unverifiable later.
   */
  *checkKey(keyLocation: string): Flow<void> {
    const fp = this.hasher.fingerprint();
    // Every start checks: a plain read when it matches, the write lock only to record it the first time.
    if ((yield* q(this.store.getMeta('key_fingerprint'))) === fp) return;
    const store = this.store;
    yield* q(store.transaction(function* () {
      // For update: two processes starting on a new database with different keys must not both record theirs.
      const stored = yield* q(store.getMeta('key_fingerprint', { forUpdate: true }));
      if (stored === undefined) yield* q(store.setMeta('key_fingerprint', fp));
      else if (stored !== fp) {
        throw new TacError('key_mismatch', `this database was created with a different hashing key than ${keyLocation}; restore that key file (or set TAC_KEY_FILE) to use it`);
      }
    }));
  }

  /**
   * Stored fields over the defaults, so a policy saved by an older version gains new fields' defaults.
   * `forUpdate`: a change derived from it follows in this transaction (see Store.getPolicy).
   */
  *getPolicy(opts?: { forUpdate?: boolean }): Flow<Policy> {
    const stored = yield* q(this.store.getPolicy(opts));
    return stored ? mergePolicy(DEFAULT_POLICY, stored) : DEFAULT_POLICY;
  }

  *findUser(ref: string): Flow<User | undefined> {
    // No user's id, username, email or phone holds a control character (they are refused on the
    // way in): such a ref matches nobody, on every engine (PostgreSQL would refuse a NUL outright).
    if (/[\u0000-\u001f\u007f]/.test(ref.trim())) return undefined;
    // Phones are stored canonical (E.164): a typed number is read in the policy's phoneRegion,
    // which is read only when the reference looks like a number.
    const region = phoneDigits(ref) ? (yield* this.getPolicy()).phoneRegion : null;
    const { kind, value } = detectUserRef(ref, () => region);
    if (kind === 'id') return yield* q(this.store.getUser(value));
    const found = yield* q(this.store.findUser(kind, value));
    // A username may itself look like an email or a phone number, so fall back to the username.
    return found ?? (kind === 'username' ? undefined : yield* q(this.store.findUser('username', ref.trim())));
  }

  *resolveUser(ref: string): Flow<User> {
    if (typeof ref !== 'string' || !ref.trim()) throw invalid('user', 'is required (an id, username, email or phone)');
    const u = yield* this.findUser(ref);
    if (!u) throw notFound(`user "${truncate(ref)}"`);
    return u;
  }

  /** Runs `fn` (a generator method of this core) in one store transaction. */
  transaction<T>(fn: () => Flow<T>): Flow<T> {
    return q(this.store.transaction(fn));
  }
}

/** An audit event as the parts write it: the action, and whatever differs from the defaults in auditEvent. */
export type AuditInput = Pick<NewAuditEvent, 'action'> & Partial<NewAuditEvent>;

export function* appendAudit(s: ServiceCore, e: AuditInput): Flow<void> {
  yield* q(s.store.appendAudit(auditEvent(s, e)));
}

export function auditEvent(s: ServiceCore, e: AuditInput, at = iso(s.clock.now())): NewAuditEvent {
  return { at, actor: s.actor, userId: null, tacId: null, outcome: 'success', reason: null, details: {}, ...e };
}

export function checkLimit(limit: number | undefined, dflt: number, max = MAX_LIST_LIMIT): number {
  if (limit === undefined) return dflt;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > max) throw invalid('--limit', `must be a whole number from 1 to ${max}`);
  return limit;
}

/**
 * iso() remembering two instants, not one: an import batch formats its time and its codes' expiry
 * (one instant per TTL) for every row, which alternating between them made a new string each time.
 * One cache for users and TACs alike, which is what an import alternates between.
 */
const stamps = { ms: [NaN, NaN], text: ['', ''] };
export function stamp(d: Date): string {
  const ms = d.getTime();
  if (ms === stamps.ms[0]) return stamps.text[0]!;
  if (ms !== stamps.ms[1]) {
    stamps.ms[1] = ms;
    stamps.text[1] = d.toISOString();
  }
  // The latest first.
  stamps.ms.reverse();
  stamps.text.reverse();
  return stamps.text[0]!;
}
