import { addMinutes, iso } from '../clock.js';
import { digestsEqual, normalizeCode } from '../codes.js';
import { truncate } from '../duration.js';
import { q, type Flow } from '../flow.js';
import type { Policy } from '../policy.js';
import { deriveStatus, toTac } from '../status.js';
import type { TacRecord, User, Verdict, VerifyReason } from '../types.js';
import { isLocked, LOCKED_UNTIL_UNLOCKED, summarize } from '../users.js';
import { appendAudit, ServiceCore } from './core.js';

/** Checking a submitted code: matching, one-time use, failure counting and lockout. */
export class VerificationPart extends ServiceCore {
  /**
   * Verifies a code in one transaction, so concurrent attempts are counted exactly and a one-time
   * code is consumed exactly once. State reasons are only given for the TAC the code matches.
   */
  *verify(ref: string, submitted: string): Flow<Verdict> {
    return yield* this.transaction(() => verifyNow(this, ref, submitted));
  }
}

function* verifyNow(s: ServiceCore, ref: string, submitted: string): Flow<Verdict> {
  const now = s.clock.now();
  const policy = yield* s.getPolicy();
  // Inside the transaction, reading the user serializes concurrent verifies of this user (see Store).
  const user = typeof ref === 'string' && ref.trim() ? yield* s.findUser(ref) : undefined;
  if (!user) return yield* refuse(s, 'unknown_user', null, null, { user: truncate(ref ?? '', 80) });
  if (user.disabled) return yield* refuse(s, 'user_disabled', user.id);
  if (isLocked(user, now)) return { ...yield* refuse(s, 'locked_out', user.id), lockedUntil: user.lockedUntil! };
  if (!policy.enabled) return yield* refuse(s, 'tacs_disabled', user.id);

  const match = findMatch(s, user.id, String(submitted ?? ''), yield* q(s.store.iterateTacs({ userId: user.id })));
  if (!match) return yield* countFailure(s, user, policy, now);

  const status = deriveStatus(match, now);
  if (status !== 'active') {
    const reason = ({ pending: 'not_yet_valid', expired: 'expired', used: 'already_used', revoked: 'revoked' } as const)[status];
    return yield* refuse(s, reason, user.id, match.id);
  }
  const tacPatch = { useCount: match.useCount + 1, lastUsedAt: iso(now) };
  yield* q(s.store.updateTac(match.id, tacPatch));
  // A multi-use code's success keeps the consecutive count: an attacker guessing between the
  // user's legitimate sign-ins must still run into maxConsecutiveFailures (see Policy).
  const consecutiveFailures = match.oneTime ? 0 : user.consecutiveFailures;
  if (user.failedAttempts !== 0 || user.lockedUntil !== null || consecutiveFailures !== user.consecutiveFailures) {
    yield* q(s.store.updateUser(user.id, { failedAttempts: 0, consecutiveFailures, lockedUntil: null, updatedAt: iso(now) }));
  }
  const tac = toTac({ ...match, ...tacPatch }, now);
  yield* appendAudit(s, { action: 'tac.verified', userId: user.id, tacId: match.id, details: { useCount: tac.useCount, oneTime: tac.oneTime } });
  return { valid: true, user: summarize(user), tac };
}

/** Compares against every TAC of the user in constant time each, without stopping early. */
function findMatch(s: ServiceCore, userId: string, submitted: string, tacs: Iterable<TacRecord>): TacRecord | undefined {
  const digests = new Map<boolean, string>();
  const digest = (caseSensitive: boolean) => {
    let d = digests.get(caseSensitive);
    if (d === undefined) digests.set(caseSensitive, (d = s.hasher.hash(userId, normalizeCode(submitted, caseSensitive))));
    return d;
  };
  let match: TacRecord | undefined;
  for (const t of tacs) {
    if (digestsEqual(digest(t.caseSensitive), t.codeHash) && !match) match = t;
  }
  return submitted.trim() ? match : undefined;
}

function* countFailure(s: ServiceCore, user: User, policy: Policy, now: Date): Flow<Verdict> {
  // A lock that has run out starts the count again from zero.
  const previous = user.lockedUntil ? 0 : user.failedAttempts;
  const failedAttempts = previous + 1;
  const consecutiveFailures = user.consecutiveFailures + 1;
  // The hard cap: past it no lock runs out by itself (NIST SP 800-63B §5.2.2).
  const capped = consecutiveFailures >= policy.maxConsecutiveFailures;
  const lock = capped || failedAttempts >= policy.maxFailedAttempts;
  const lockedUntil = capped ? LOCKED_UNTIL_UNLOCKED : lock ? iso(addMinutes(now, policy.lockoutDuration)) : null;
  yield* q(s.store.updateUser(user.id, { failedAttempts, consecutiveFailures, lockedUntil, updatedAt: iso(now) }));
  const verdict = yield* refuse(s, 'invalid_code', user.id, null, { failedAttempts, consecutiveFailures });
  if (lock) {
    const reason = capped ? 'too_many_consecutive_failures' : 'too_many_failed_attempts';
    yield* appendAudit(s, { action: 'user.locked_out', userId: user.id, outcome: 'failure', reason, details: { failedAttempts, consecutiveFailures, lockedUntil } });
  }
  return verdict;
}

function* refuse(s: ServiceCore, reason: VerifyReason, userId: string | null, tacId: string | null = null, details: Record<string, unknown> = {}): Flow<{ valid: false; reason: VerifyReason }> {
  yield* appendAudit(s, { action: 'tac.verify_failed', userId, tacId, outcome: 'failure', reason, details });
  return { valid: false, reason };
}
