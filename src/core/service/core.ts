import { iso, type Clock } from '../clock.js';
import { cryptoRandomInt, type CodeHasher, type RandomInt } from '../codes.js';
import { truncate } from '../duration.js';
import { invalid, notFound, TacError } from '../errors.js';
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
 * What every part of TacService (../service.ts) shares: its dependencies and the lookups several
 * parts need (the policy, users by reference). Each part extends this class so its methods can
 * use them as `this.*`; helpers that are not public API are the functions below, taking the core.
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
  checkKey(keyLocation: string): void {
    const fp = this.hasher.fingerprint();
    // Every start checks: a plain read when it matches, the write lock only to record it the first time.
    if (this.store.getMeta('key_fingerprint') === fp) return;
    this.store.transaction(() => {
      const stored = this.store.getMeta('key_fingerprint');
      if (stored === undefined) this.store.setMeta('key_fingerprint', fp);
      else if (stored !== fp) {
        throw new TacError('key_mismatch', `this database was created with a different hashing key than ${keyLocation}; restore that key file (or set TAC_KEY_FILE) to use it`);
      }
    });
  }

  /** Stored fields over the defaults, so a policy saved by an older version gains new fields' defaults. */
  getPolicy(): Policy {
    const stored = this.store.getPolicy();
    return stored ? mergePolicy(DEFAULT_POLICY, stored) : DEFAULT_POLICY;
  }

  findUser(ref: string): User | undefined {
    // Phones are stored canonical (E.164): a typed number is read in the policy's phoneRegion.
    const { kind, value } = detectUserRef(ref, () => this.getPolicy().phoneRegion);
    if (kind === 'id') return this.store.getUser(value);
    const found = this.store.findUser(kind, value);
    // A username may itself look like an email or a phone number, so fall back to the username.
    return found ?? (kind === 'username' ? undefined : this.store.findUser('username', ref.trim()));
  }

  resolveUser(ref: string): User {
    if (typeof ref !== 'string' || !ref.trim()) throw invalid('user', 'is required (an id, username, email or phone)');
    const u = this.findUser(ref);
    if (!u) throw notFound(`user "${truncate(ref)}"`);
    return u;
  }
}

/** An audit event as the parts write it: the action, and whatever differs from the defaults in auditEvent. */
export type AuditInput = Pick<NewAuditEvent, 'action'> & Partial<NewAuditEvent>;

export function appendAudit(s: ServiceCore, e: AuditInput): void {
  s.store.appendAudit(auditEvent(s, e));
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
