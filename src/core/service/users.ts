import { iso } from '../clock.js';
import { TacError } from '../errors.js';
import { toTac } from '../status.js';
import type { NewUserInput, User, UserDetails } from '../types.js';
import { isLocked, newId, normalizeNewUser } from '../users.js';
import { appendAudit, checkLimit, ServiceCore, stamp, type AuditInput } from './core.js';
import { revokeLive } from './tacs.js';

/** Managing users: creating, finding, locking state, disabling and deleting (finding by reference is in ServiceCore). */
export class UsersPart extends ServiceCore {
  addUser(input: NewUserInput): User {
    return this.store.transaction(() => createUser(this, input, input.guest ? 'guest.created' : 'user.created'));
  }

  searchUsers(query: string, opts: { guestsOnly?: boolean; limit?: number } = {}): User[] {
    return this.store.searchUsers(String(query ?? '').trim(), { guestsOnly: Boolean(opts.guestsOnly), limit: checkLimit(opts.limit, 20) });
  }

  showUser(ref: string): UserDetails {
    const u = this.resolveUser(ref);
    const now = this.clock.now();
    const latest = first(this.store.iterateTacs({ userId: u.id }));
    const locked = isLocked(u, now);
    return { ...presentUser(u, now), locked, currentTac: latest ? toTac(latest, now) : null };
  }

  unlockUser(ref: string): User {
    return this.store.transaction(() => {
      const u = this.resolveUser(ref);
      const patch = { failedAttempts: 0, consecutiveFailures: 0, lockedUntil: null, updatedAt: iso(this.clock.now()) };
      this.store.updateUser(u.id, patch);
      appendAudit(this, {
        action: 'user.unlocked', userId: u.id,
        details: { wasLocked: isLocked(u, this.clock.now()), failedAttempts: u.failedAttempts, consecutiveFailures: u.consecutiveFailures },
      });
      return { ...u, ...patch };
    });
  }

  /** Disabling also revokes the user's live TAC: a disabled user can neither receive nor use one. */
  setUserDisabled(ref: string, disabled: boolean): User {
    return this.store.transaction(() => {
      const u = this.resolveUser(ref);
      const patch = { disabled, updatedAt: iso(this.clock.now()) };
      this.store.updateUser(u.id, patch);
      appendAudit(this, { action: disabled ? 'user.disabled' : 'user.enabled', userId: u.id, details: { changed: u.disabled !== disabled } });
      if (disabled) revokeLive(this, u.id, 'user_disabled');
      return { ...u, ...patch };
    });
  }

  deleteUser(ref: string): User {
    return this.store.transaction(() => {
      const u = this.resolveUser(ref);
      revokeLive(this, u.id, 'user_deleted');
      this.store.deleteUser(u.id);
      appendAudit(this, { action: 'user.deleted', userId: u.id, details: { username: u.username, email: u.email, guest: u.guest } });
      return u;
    });
  }
}

/** Creates one user (also a guest, or an import row: `fieldPrefix` names the line in errors). */
export function createUser(s: ServiceCore, input: NewUserInput, action: 'user.created' | 'guest.created', fieldPrefix = ''): User {
  const n = normalizeNewUser(input, fieldPrefix, s.getPolicy().phoneRegion);
  assertUnique(s, n.username, n.email, n.phone, fieldPrefix);
  const user = newUserRecord(n, s.clock.now());
  s.store.insertUser(user);
  appendAudit(s, userCreated(user, action));
  return user;
}

function assertUnique(s: ServiceCore, username: string, email: string, phone: string | null, prefix: string): void {
  const clash = (field: string, value: string, other: User | undefined) => {
    if (other) throw new TacError('conflict', `${prefix}${field}: "${value}" is already used by user ${other.username}`, { field: `${prefix}${field}` });
  };
  // Email first: a guest's username defaults to their email, and the email is what the agent typed.
  clash('email', email, s.store.findUser('email', email));
  clash('username', username, s.store.findUser('username', username));
  if (phone) clash('phone', phone, s.store.findUser('phone', phone));
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
