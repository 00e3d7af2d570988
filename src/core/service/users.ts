import { iso } from '../clock.js';
import { TacError } from '../errors.js';
import { q, type Flow } from '../flow.js';
import { toTac } from '../status.js';
import type { NewUserInput, User, UserDetails } from '../types.js';
import { isLocked, newId, normalizeNewUser } from '../users.js';
import { appendAudit, checkLimit, ServiceCore, stamp, type AuditInput } from './core.js';
import { revokeLive } from './tacs.js';

/** Managing users: creating, finding, locking state, disabling and deleting (finding by reference is in ServiceCore). */
export class UsersPart extends ServiceCore {
  *addUser(input: NewUserInput): Flow<User> {
    return yield* this.transaction(() => createUser(this, input, input.guest ? 'guest.created' : 'user.created'));
  }

  *searchUsers(query: string, opts: { guestsOnly?: boolean; limit?: number } = {}): Flow<User[]> {
    return yield* q(this.store.searchUsers(String(query ?? '').trim(), { guestsOnly: Boolean(opts.guestsOnly), limit: checkLimit(opts.limit, 20) }));
  }

  *showUser(ref: string): Flow<UserDetails> {
    const u = yield* this.resolveUser(ref);
    const now = this.clock.now();
    const latest = first(yield* q(this.store.iterateTacs({ userId: u.id })));
    const locked = isLocked(u, now);
    return { ...presentUser(u, now), locked, currentTac: latest ? toTac(latest, now) : null };
  }

  *unlockUser(ref: string): Flow<User> {
    return yield* this.transaction(() => unlockNow(this, ref));
  }

  /** Disabling also revokes the user's live TAC: a disabled user can neither receive nor use one. */
  *setUserDisabled(ref: string, disabled: boolean): Flow<User> {
    return yield* this.transaction(() => setDisabledNow(this, ref, disabled));
  }

  *deleteUser(ref: string): Flow<User> {
    return yield* this.transaction(() => deleteNow(this, ref));
  }
}

function* unlockNow(s: ServiceCore, ref: string): Flow<User> {
  const u = yield* s.resolveUser(ref);
  const patch = { failedAttempts: 0, consecutiveFailures: 0, lockedUntil: null, updatedAt: iso(s.clock.now()) };
  yield* q(s.store.updateUser(u.id, patch));
  yield* appendAudit(s, {
    action: 'user.unlocked', userId: u.id,
    details: { wasLocked: isLocked(u, s.clock.now()), failedAttempts: u.failedAttempts, consecutiveFailures: u.consecutiveFailures },
  });
  return { ...u, ...patch };
}

function* setDisabledNow(s: ServiceCore, ref: string, disabled: boolean): Flow<User> {
  const u = yield* s.resolveUser(ref);
  const patch = { disabled, updatedAt: iso(s.clock.now()) };
  yield* q(s.store.updateUser(u.id, patch));
  yield* appendAudit(s, { action: disabled ? 'user.disabled' : 'user.enabled', userId: u.id, details: { changed: u.disabled !== disabled } });
  if (disabled) yield* revokeLive(s, u.id, 'user_disabled');
  return { ...u, ...patch };
}

function* deleteNow(s: ServiceCore, ref: string): Flow<User> {
  const u = yield* s.resolveUser(ref);
  yield* revokeLive(s, u.id, 'user_deleted');
  yield* q(s.store.deleteUser(u.id));
  yield* appendAudit(s, { action: 'user.deleted', userId: u.id, details: { username: u.username, email: u.email, guest: u.guest } });
  return u;
}

/** Creates one user (also a guest, or an import row: `fieldPrefix` names the line in errors). */
export function* createUser(s: ServiceCore, input: NewUserInput, action: 'user.created' | 'guest.created', fieldPrefix = ''): Flow<User> {
  const n = normalizeNewUser(input, fieldPrefix, (yield* s.getPolicy()).phoneRegion);
  yield* assertUnique(s, n.username, n.email, n.phone, fieldPrefix);
  const user = newUserRecord(n, s.clock.now());
  yield* q(s.store.insertUser(user));
  yield* appendAudit(s, userCreated(user, action));
  return user;
}

function* assertUnique(s: ServiceCore, username: string, email: string, phone: string | null, prefix: string): Flow<void> {
  const clash = (field: string, value: string, other: User | undefined) => {
    if (other) throw new TacError('conflict', `${prefix}${field}: "${value}" is already used by user ${other.username}`, { field: `${prefix}${field}` });
  };
  // Email first: a guest's username defaults to their email, and the email is what the agent typed.
  clash('email', email, yield* q(s.store.findUser('email', email)));
  clash('username', username, yield* q(s.store.findUser('username', username)));
  if (phone) clash('phone', phone, yield* q(s.store.findUser('phone', phone)));
}

/** A lock that has run out is shown (and later stored) as no lock and no failures. */
function presentUser(u: User, now: Date): User {
  return u.lockedUntil && !isLocked(u, now) ? { ...u, failedAttempts: 0, lockedUntil: null } : u;
}

export function newUserRecord(n: ReturnType<typeof normalizeNewUser>, now: Date): User {
  const at = stamp(now);
  return {
    id: newId('usr', now), username: n.username, email: n.email, phone: n.phone, name: n.name, guest: n.guest,
    disabled: false, failedAttempts: 0, consecutiveFailures: 0, lockedUntil: null, createdAt: at, updatedAt: at,
  };
}

export const userCreated = (user: User, action: 'user.created' | 'guest.created'): AuditInput => (
  { action, userId: user.id, details: { username: user.username, email: user.email, guest: user.guest } }
);

function first<T>(it: Iterable<T>): T | undefined {
  for (const x of it) return x;
  return undefined;
}
