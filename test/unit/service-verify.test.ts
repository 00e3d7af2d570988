import { beforeEach, describe, expect, it } from 'vitest';
import { addMinutes, iso } from '../../src/core/clock.js';
import type { IssuedTac, User } from '../../src/core/types.js';
import { LOCKED_UNTIL_UNLOCKED } from '../../src/core/users.js';
import { makeService, type Harness } from './helpers.js';

/** A code that cannot be any issued code (issued codes never contain 0 or 1). */
const WRONG = '00001111';

describe('verify reasons', () => {
  let h: Harness;
  let alice: User;
  beforeEach(() => {
    h = makeService();
    alice = h.service.addUser({ username: 'alice', email: 'alice@example.com', name: 'Alice A', phone: '+15551234567' });
    h.service.addUser({ username: 'bob', email: 'bob@example.com' });
  });

  it('success has the documented shape and consumes the code', () => {
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    h.clock.advance(5);
    const v = h.service.verify('alice', issued.code);
    expect(v).toEqual({
      valid: true,
      user: { id: alice.id, username: 'alice', email: 'alice@example.com', name: 'Alice A', guest: false },
      tac: {
        id: issued.id, userId: alice.id, status: 'used', createdAt: '2026-01-01T00:00:00.000Z', startsAt: '2026-01-01T00:00:00.000Z',
        expiresAt: '2026-01-01T01:00:00.000Z', oneTime: true, useCount: 1, lastUsedAt: '2026-01-01T00:05:00.000Z', revokedAt: null,
        revokedReason: null, reason: null, createdBy: h.actor,
      },
    });
  });

  it('the user may be named by id, email, phone or username', () => {
    h.service.updatePolicy({ multiUseAllowed: true });
    const { code } = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', oneTime: false });
    for (const ref of [alice.id, 'ALICE@example.com', '+1 555 123 4567', 'alice', 'Alice']) {
      expect(h.service.verify(ref, code).valid, ref).toBe(true);
    }
  });

  it('unknown_user', () => {
    const { code } = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    expect(h.service.verify('carol', code)).toEqual({ valid: false, reason: 'unknown_user' });
    expect(h.service.verify('', code)).toEqual({ valid: false, reason: 'unknown_user' });
    // a code is bound to its user: bob cannot use alice's code
    expect(h.service.verify('bob', code)).toEqual({ valid: false, reason: 'invalid_code' });
    expect(h.service.verify('alice', code).valid).toBe(true);
  });

  it('user_disabled, even with the right code, and disabling revoked the code', () => {
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    h.service.setUserDisabled('alice', true);
    expect(h.service.verify('alice', issued.code)).toEqual({ valid: false, reason: 'user_disabled' });
    expect(h.service.verify('alice', WRONG)).toEqual({ valid: false, reason: 'user_disabled' });
    h.service.setUserDisabled('alice', false);
    expect(h.service.verify('alice', issued.code)).toEqual({ valid: false, reason: 'revoked' });
  });

  it('tacs_disabled', () => {
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    h.service.updatePolicy({ enabled: false });
    expect(h.service.verify('alice', issued.code)).toEqual({ valid: false, reason: 'tacs_disabled' });
  });

  it('not_yet_valid only for the matching pending code', () => {
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', startsAt: iso(addMinutes(h.clock.now(), 60)) });
    expect(h.service.verify('alice', issued.code)).toEqual({ valid: false, reason: 'not_yet_valid' });
    expect(h.service.verify('alice', WRONG)).toEqual({ valid: false, reason: 'invalid_code' });
  });

  it('expired only for the matching code; a wrong code while the only TAC is expired is invalid_code', () => {
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', ttl: 10 });
    h.clock.advance(10);
    expect(h.service.verify('alice', issued.code)).toEqual({ valid: false, reason: 'expired' });
    expect(h.service.verify('alice', WRONG)).toEqual({ valid: false, reason: 'invalid_code' });
  });

  it('already_used only for the matching used code', () => {
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    h.service.verify('alice', issued.code);
    expect(h.service.verify('alice', issued.code)).toEqual({ valid: false, reason: 'already_used' });
    expect(h.service.verify('alice', WRONG)).toEqual({ valid: false, reason: 'invalid_code' });
  });

  it('the old replaced code is revoked; the new one is valid', () => {
    const old = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    const fresh = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    expect(h.service.verify('alice', old.code)).toEqual({ valid: false, reason: 'revoked' });
    expect(h.service.verify('alice', WRONG)).toEqual({ valid: false, reason: 'invalid_code' });
    expect(h.service.verify('alice', fresh.code).valid).toBe(true);
  });

  it('a code revoked by hand is revoked', () => {
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    expect(h.service.revokeTac(issued.id).changed).toBe(true);
    expect(h.service.revokeTac(issued.id).changed).toBe(false);
    expect(h.service.getTac(issued.id)).toMatchObject({ status: 'revoked', revokedReason: 'deleted' });
    expect(h.service.verify('alice', issued.code)).toEqual({ valid: false, reason: 'revoked' });
  });

  it('revokeUserTacs revokes the live code', () => {
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    expect(h.service.revokeUserTacs('alice').map((t) => t.id)).toEqual([issued.id]);
    expect(h.service.verify('alice', issued.code)).toEqual({ valid: false, reason: 'revoked' });
    expect(h.service.revokeUserTacs('alice')).toEqual([]);
  });

  it('state reasons do not count as failed attempts, and are audited with the TAC id', () => {
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', ttl: 10 });
    h.clock.advance(10);
    for (let i = 0; i < 5; i++) expect(h.service.verify('alice', issued.code)).toEqual({ valid: false, reason: 'expired' });
    expect(h.service.showUser('alice')).toMatchObject({ failedAttempts: 0, locked: false });
    const [ev] = h.service.queryAudit({ action: 'tac.verify_failed', limit: 1 });
    expect(ev).toMatchObject({ userId: alice.id, tacId: issued.id, reason: 'expired', outcome: 'failure' });
  });
});

describe('lockout', () => {
  let h: Harness;
  let issued: IssuedTac;
  beforeEach(() => {
    h = makeService();
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    h.service.updatePolicy({ maxTtl: 480, defaultTtl: 240 });
    issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
  });

  const fail = (n: number) => {
    for (let i = 0; i < n; i++) expect(h.service.verify('alice', '00001111')).toEqual({ valid: false, reason: 'invalid_code' });
  };

  it('locks after 3 invalid codes for 15 minutes, refusing even the right code, then lets it work', () => {
    fail(2);
    expect(h.service.showUser('alice')).toMatchObject({ failedAttempts: 2, locked: false });
    fail(1);
    const shown = h.service.showUser('alice');
    expect(shown).toMatchObject({ failedAttempts: 3, locked: true, lockedUntil: '2026-01-01T00:15:00.000Z' });

    const locked = h.service.verify('alice', issued.code);
    expect(locked).toEqual({ valid: false, reason: 'locked_out', lockedUntil: '2026-01-01T00:15:00.000Z' });
    expect(h.service.verify('alice', '00001111')).toMatchObject({ valid: false, reason: 'locked_out' });
    h.clock.advance(14);
    expect(h.service.verify('alice', issued.code)).toMatchObject({ valid: false, reason: 'locked_out' });
    // the locked attempts did not use the code up
    expect(h.service.getTac(issued.id)).toMatchObject({ status: 'active', useCount: 0 });

    h.clock.advance(1);
    expect(h.service.showUser('alice')).toMatchObject({ locked: false, failedAttempts: 0, lockedUntil: null });
    expect(h.service.verify('alice', issued.code).valid).toBe(true);
    expect(h.store.getUser(h.service.resolveUser('alice').id)).toMatchObject({ failedAttempts: 0, lockedUntil: null });
  });

  it('after a lock runs out the count restarts from zero', () => {
    fail(3);
    h.clock.advance(15);
    fail(2);
    expect(h.service.showUser('alice')).toMatchObject({ failedAttempts: 2, locked: false });
    expect(h.service.verify('alice', issued.code).valid).toBe(true);
  });

  it('after a lock runs out, three new failures lock again', () => {
    fail(3);
    h.clock.advance(15);
    fail(3);
    expect(h.service.verify('alice', issued.code)).toMatchObject({ valid: false, reason: 'locked_out', lockedUntil: '2026-01-01T00:30:00.000Z' });
  });

  it('a success resets the count', () => {
    h.service.updatePolicy({ multiUseAllowed: true });
    const multi = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', oneTime: false });
    fail(2);
    expect(h.service.verify('alice', multi.code).valid).toBe(true);
    expect(h.service.showUser('alice').failedAttempts).toBe(0);
    fail(2);
    expect(h.service.verify('alice', multi.code).valid).toBe(true);
  });

  it('unlockUser clears the lock and the count', () => {
    fail(3);
    expect(h.service.verify('alice', issued.code)).toMatchObject({ reason: 'locked_out' });
    const u = h.service.unlockUser('alice');
    expect(u).toMatchObject({ failedAttempts: 0, lockedUntil: null });
    expect(h.service.showUser('alice')).toMatchObject({ failedAttempts: 0, locked: false });
    const [ev] = h.service.queryAudit({ action: 'user.unlocked' });
    expect(ev).toMatchObject({ userId: u.id, actor: h.actor, details: { wasLocked: true, failedAttempts: 3 } });
    fail(2);
    expect(h.service.verify('alice', issued.code).valid).toBe(true);
  });

  it('follows maxFailedAttempts and lockoutDuration from the policy', () => {
    h.service.updatePolicy({ maxFailedAttempts: 5, lockoutDuration: 60 });
    fail(4);
    expect(h.service.showUser('alice').locked).toBe(false);
    fail(1);
    expect(h.service.showUser('alice')).toMatchObject({ locked: true, lockedUntil: '2026-01-01T01:00:00.000Z' });
  });

  it('emits user.locked_out and audits every failed attempt', () => {
    fail(3);
    h.service.verify('alice', issued.code);
    const userId = h.service.resolveUser('alice').id;
    const lockEvents = h.service.queryAudit({ action: 'user.locked_out' });
    expect(lockEvents).toHaveLength(1);
    expect(lockEvents[0]).toMatchObject({
      userId, outcome: 'failure', actor: h.actor, reason: 'too_many_failed_attempts',
      details: { failedAttempts: 3, consecutiveFailures: 3, lockedUntil: '2026-01-01T00:15:00.000Z' },
    });
    const failed = h.service.queryAudit({ action: 'tac.verify_failed' });
    expect(failed.map((e) => e.reason)).toEqual(['locked_out', 'invalid_code', 'invalid_code', 'invalid_code']);
    expect(failed.map((e) => e.details.failedAttempts)).toEqual([undefined, 3, 2, 1]);
  });

  it('failures are counted per user', () => {
    h.service.addUser({ username: 'bob', email: 'bob@example.com' });
    const bobs = h.service.issueTac({ verifiedBy: 'callback',  user: 'bob' });
    fail(3);
    expect(h.service.verify('bob', bobs.code).valid).toBe(true);
  });
});

describe('the hard cap: maxConsecutiveFailures', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeService();
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    h.service.updatePolicy({ maxTtl: 480, defaultTtl: 480, maxConsecutiveFailures: 10, multiUseAllowed: true });
  });

  /** Guesses in bursts of maxFailedAttempts (3), waiting out each 15-minute lock, as an attacker would. */
  const guess = (n: number) => {
    for (let i = 0; i < n; i++) {
      const v = h.service.verify('alice', WRONG);
      if (v.valid === false && v.reason === 'locked_out') {
        h.clock.advance(15);
        i--;
      } else expect(v).toEqual({ valid: false, reason: 'invalid_code' });
    }
  };

  it('after maxConsecutiveFailures the user stays locked until an agent unlocks them, whatever the time', () => {
    const issued = h.service.issueTac({ verifiedBy: 'callback', user: 'alice' });
    guess(9);
    expect(h.service.showUser('alice')).toMatchObject({ consecutiveFailures: 9 });
    h.clock.advance(15);
    guess(1);
    const locked = { valid: false, reason: 'locked_out', lockedUntil: LOCKED_UNTIL_UNLOCKED };
    expect(h.service.verify('alice', issued.code)).toEqual(locked);
    h.clock.advance(60 * 24 * 365);
    expect(h.service.verify('alice', issued.code)).toEqual(locked);
    expect(h.service.showUser('alice')).toMatchObject({ locked: true, lockedUntil: LOCKED_UNTIL_UNLOCKED, consecutiveFailures: 10 });
    const [ev] = h.service.queryAudit({ action: 'user.locked_out', limit: 1 });
    expect(ev).toMatchObject({ reason: 'too_many_consecutive_failures', details: { consecutiveFailures: 10, lockedUntil: LOCKED_UNTIL_UNLOCKED } });

    expect(h.service.unlockUser('alice')).toMatchObject({ failedAttempts: 0, consecutiveFailures: 0, lockedUntil: null });
    expect(h.service.queryAudit({ action: 'user.unlocked', limit: 1 })[0]).toMatchObject({ details: { wasLocked: true, consecutiveFailures: 10 } });
    const fresh = h.service.issueTac({ verifiedBy: 'callback', user: 'alice' });
    expect(h.service.verify('alice', fresh.code).valid).toBe(true);
  });

  it('the timed lockouts run out, but the consecutive count does not restart with them', () => {
    h.service.issueTac({ verifiedBy: 'callback', user: 'alice' });
    guess(3);
    h.clock.advance(15);
    expect(h.service.showUser('alice')).toMatchObject({ failedAttempts: 0, consecutiveFailures: 3, locked: false });
  });

  it("a multi-use code's successes do not reset the count: guesses between legitimate uses stay bounded", () => {
    const multi = h.service.issueTac({ verifiedBy: 'callback', user: 'alice', oneTime: false });
    for (let round = 0; round < 4; round++) {
      guess(2);
      expect(h.service.verify('alice', multi.code).valid).toBe(true);
    }
    expect(h.service.showUser('alice')).toMatchObject({ failedAttempts: 0, consecutiveFailures: 8 });
    guess(2);
    expect(h.service.verify('alice', multi.code)).toEqual({ valid: false, reason: 'locked_out', lockedUntil: LOCKED_UNTIL_UNLOCKED });
  });

  it("a one-time code's success resets the count: the code the guesses were aimed at is gone", () => {
    const once = h.service.issueTac({ verifiedBy: 'callback', user: 'alice' });
    guess(8);
    expect(h.service.verify('alice', once.code).valid).toBe(true);
    expect(h.service.showUser('alice')).toMatchObject({ failedAttempts: 0, consecutiveFailures: 0 });
  });

  it('refusals while locked are not guesses and do not count', () => {
    h.service.issueTac({ verifiedBy: 'callback', user: 'alice' });
    guess(3);
    for (let i = 0; i < 20; i++) expect(h.service.verify('alice', WRONG)).toMatchObject({ reason: 'locked_out' });
    expect(h.service.showUser('alice').consecutiveFailures).toBe(3);
  });
});

