import { beforeEach, describe, expect, it } from 'vitest';
import {
  alphabetSize, characterClasses, checkPatchShape, checkTtl, DEFAULT_POLICY, entropyBits, isCaseSensitive, mergePolicy,
  guessBudget, TTL_CEILING_MINUTES, validatePolicy, type Policy,
} from '../../src/core/policy.js';
import { catchTacError, makeService, type Harness } from './helpers.js';

const EXPECTED_DEFAULTS = {
  enabled: true,
  minTtl: 10,
  maxTtl: 480,
  defaultTtl: 60,
  length: 8,
  complexity: { numbers: true, letters: true, specialCharacters: false },
  mixedCase: false,
  excludeAmbiguous: true,
  multiUseAllowed: false,
  oneTimeDefault: true,
  maxFailedAttempts: 3,
  lockoutDuration: 15,
  maxConsecutiveFailures: 100,
  purgeAfterDays: 30,
  phoneRegion: null,
  requireAttestation: true,
};

const withPolicy = (patch: Partial<Omit<Policy, 'complexity'>> & { complexity?: Partial<Policy['complexity']> }): Policy =>
  mergePolicy(DEFAULT_POLICY, patch);

describe('policy rules (pure)', () => {
  it('has the documented defaults and a 30-day ceiling', () => {
    expect(DEFAULT_POLICY).toEqual(EXPECTED_DEFAULTS);
    expect(TTL_CEILING_MINUTES).toBe(43_200);
    expect(() => validatePolicy(withPolicy({}))).not.toThrow();
  });

  it('default alphabet is digits and upper case without look-alikes', () => {
    expect(characterClasses(DEFAULT_POLICY)).toEqual(['23456789', 'ABCDEFGHJKMNPQRSTUVWXYZ']);
    expect(alphabetSize(DEFAULT_POLICY)).toBe(31);
    expect(isCaseSensitive(DEFAULT_POLICY)).toBe(false);
  });

  it('classes follow each of the four settings, whatever policies were asked for before (they are cached)', () => {
    const combos = [];
    for (let bits = 0; bits < 16; bits++) {
      combos.push({
        excludeAmbiguous: Boolean(bits & 1), mixedCase: Boolean(bits & 4),
        complexity: { numbers: true, letters: Boolean(bits & 2), specialCharacters: Boolean(bits & 8) },
      });
    }
    const seen = new Map<number, string>();
    for (const pass of [combos, [...combos].reverse()]) {
      for (const c of pass) {
        const classes = characterClasses(withPolicy(c));
        const letters = c.complexity.letters;
        expect(classes).toHaveLength(1 + Number(letters) + Number(letters && c.mixedCase) + Number(c.complexity.specialCharacters));
        expect(classes.join('').includes('0')).toBe(!c.excludeAmbiguous);
        expect(classes.join('').includes('A')).toBe(letters);
        expect(classes.join('').includes('a')).toBe(letters && c.mixedCase);
        expect(classes.join('').includes('!')).toBe(c.complexity.specialCharacters);
        const i = combos.indexOf(c);
        if (seen.has(i)) expect(classes.join('|')).toBe(seen.get(i));
        seen.set(i, classes.join('|'));
      }
    }
  });

  it('builds classes for lower case and specials, and drops look-alikes from every case', () => {
    const p = withPolicy({ mixedCase: true, complexity: { specialCharacters: true } });
    const classes = characterClasses(p);
    expect(classes).toHaveLength(4);
    const all = classes.join('');
    for (const ch of '0O1ILilo') expect(all).not.toContain(ch);
    expect(classes[2]).toMatch(/^[a-z]+$/);
    expect(classes[3]).toBe('!@#$%&*+=?');
    expect(isCaseSensitive(p)).toBe(true);

    const all2 = characterClasses(withPolicy({ mixedCase: true, excludeAmbiguous: false })).join('');
    expect(all2).toHaveLength(62);
  });

  it('refuses to disable numbers', () => {
    const err = catchTacError(() => validatePolicy(withPolicy({ complexity: { numbers: false } })), 'invalid_value');
    expect(err.field).toBe('complexity.numbers');
  });

  it('counts the guesses at one code: maxFailedAttempts per lockout over maxTtl, capped by maxConsecutiveFailures', () => {
    // 3 per 15 minutes over 8 hours: 32 bursts of 3.
    expect(guessBudget(DEFAULT_POLICY)).toBe(96);
    expect(guessBudget(withPolicy({ maxTtl: 481 }))).toBe(99);
    expect(guessBudget(withPolicy({ maxConsecutiveFailures: 50 }))).toBe(50);
    expect(guessBudget(withPolicy({ maxFailedAttempts: 100, lockoutDuration: 1 }))).toBe(100);
    // A multi-use code's success resets the lockout count: only the hard cap bounds the guesses.
    expect(guessBudget(withPolicy({ multiUseAllowed: true, maxConsecutiveFailures: 40 }))).toBe(40);
  });

  it('refuses a policy that gives an attacker more than a 2^-20 chance per code', () => {
    // The issue's example: 7 digits (23.3 bits) with 100 attempts and a 1-minute lockout.
    const weak = withPolicy({ length: 7, complexity: { letters: false }, excludeAmbiguous: false, maxFailedAttempts: 100, lockoutDuration: 1 });
    const err = catchTacError(() => validatePolicy(weak), 'invalid_value');
    expect(err.field).toBe('length');
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/^length: codes of 7 characters from an alphabet of 10 have 2\^23\.3 possibilities .*allows 100 guesses/);
    expect(err.message).not.toMatch(/\n/);

    // 8 digits: 26.58 bits; 96 guesses (6.58 bits) leave 19.99 bits: refused; 90 guesses leave 20.08: accepted.
    const digits8 = { length: 8, complexity: { letters: false }, excludeAmbiguous: false };
    expect(() => validatePolicy(withPolicy(digits8))).toThrow(/96 guesses/);
    expect(() => validatePolicy(withPolicy({ ...digits8, lockoutDuration: 16 }))).not.toThrow();
    expect(() => validatePolicy(withPolicy({ ...digits8, maxConsecutiveFailures: 90 }))).not.toThrow();
    // The same code space with multi-use codes is bounded by maxConsecutiveFailures alone.
    expect(() => validatePolicy(withPolicy({ ...digits8, lockoutDuration: 16, multiUseAllowed: true }))).toThrow(/100 guesses/);

    // Look-alikes excluded leave 8 digits: 6 of them (18 bits) are too few for even one guess.
    expect(() => validatePolicy(withPolicy({ length: 6, complexity: { letters: false }, maxConsecutiveFailures: 1 }))).toThrow(/1 guesses/);
    expect(entropyBits(DEFAULT_POLICY)).toBeCloseTo(39.63, 2);
  });

  it('maxConsecutiveFailures is 1 to 100 (NIST SP 800-63B)', () => {
    expect(catchTacError(() => validatePolicy(withPolicy({ maxConsecutiveFailures: 101 })), 'invalid_value').message)
      .toBe('maxConsecutiveFailures: must be a whole number from 1 to 100');
    expect(() => validatePolicy(withPolicy({ maxConsecutiveFailures: 0 }))).toThrow(/maxConsecutiveFailures/);
    expect(() => validatePolicy(withPolicy({ maxConsecutiveFailures: 1 }))).not.toThrow();
  });

  it.each<[string, Parameters<typeof withPolicy>[0]]>([
    ['min > default', { minTtl: 61 }],
    ['default > max', { defaultTtl: 500 }],
    ['max > ceiling', { maxTtl: 43_201 }],
    ['length < 6', { length: 5 }],
    ['length > 64', { length: 65 }],
    ['mixedCase without letters', { mixedCase: true, complexity: { letters: false }, length: 12 }],
    ['oneTimeDefault false without multi-use', { oneTimeDefault: false }],
    ['zero failed attempts', { maxFailedAttempts: 0 }],
    ['fractional ttl', { minTtl: 1.5 }],
  ])('refuses %s', (_name, patch) => {
    catchTacError(() => validatePolicy(withPolicy(patch)), 'invalid_value');
  });

  it('accepts the boundaries', () => {
    expect(() => validatePolicy(withPolicy({ maxTtl: 43_200 }))).not.toThrow();
    expect(() => validatePolicy(withPolicy({ length: 6 }))).not.toThrow();
    expect(() => validatePolicy(withPolicy({ length: 64 }))).not.toThrow();
    expect(() => validatePolicy(withPolicy({ minTtl: 60, defaultTtl: 60, maxTtl: 60 }))).not.toThrow();
  });

  it('checks the patch shape: unknown fields and wrong types', () => {
    expect(catchTacError(() => checkPatchShape({ maxTTL: 10 }), 'invalid_value').field).toBe('maxTTL');
    expect(catchTacError(() => checkPatchShape({ minTtl: '10' }), 'invalid_value').field).toBe('minTtl');
    expect(catchTacError(() => checkPatchShape({ enabled: 'yes' }), 'invalid_value').field).toBe('enabled');
    expect(catchTacError(() => checkPatchShape({ complexity: { emoji: true } }), 'invalid_value').field).toBe('complexity.emoji');
    expect(catchTacError(() => checkPatchShape({ complexity: { letters: 1 } }), 'invalid_value').field).toBe('complexity.letters');
    catchTacError(() => checkPatchShape([]), 'invalid_value');
    catchTacError(() => checkPatchShape(null), 'invalid_value');
    expect(checkPatchShape({ length: 10, complexity: { specialCharacters: true } })).toEqual({ length: 10, complexity: { specialCharacters: true } });
  });

  it('checkTtl names both bounds and exits 5', () => {
    expect(() => checkTtl(DEFAULT_POLICY, 10)).not.toThrow();
    expect(() => checkTtl(DEFAULT_POLICY, 480)).not.toThrow();
    for (const ttl of [9, 481]) {
      const err = catchTacError(() => checkTtl(DEFAULT_POLICY, ttl), 'policy_violation');
      expect(err.exitCode).toBe(5);
      expect(err.message).toContain('10');
      expect(err.message).toContain('480');
    }
  });
});

describe('policy through the service', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeService();
  });

  it('getPolicy returns exactly the defaults on a new database', () => {
    expect(h.service.getPolicy()).toEqual(EXPECTED_DEFAULTS);
  });

  it('updatePolicy merges, stores and audits the diff', () => {
    const p = h.service.updatePolicy({ maxTtl: 600, complexity: { specialCharacters: true } });
    expect(p.maxTtl).toBe(600);
    expect(p.complexity).toEqual({ numbers: true, letters: true, specialCharacters: true });
    expect(h.service.getPolicy()).toEqual(p);
    const [ev] = h.service.queryAudit({ action: 'policy.updated' });
    expect(ev!.actor).toBe(h.actor);
    expect(ev!.details).toEqual({
      changes: {
        maxTtl: { from: 480, to: 600 },
        'complexity.specialCharacters': { from: false, to: true },
      },
    });
  });

  it.each<[string, unknown]>([
    ['min > default', { minTtl: 61 }],
    ['default > max', { defaultTtl: 700, maxTtl: 600 }],
    ['max > 43200', { maxTtl: 43_201 }],
    ['length 5', { length: 5 }],
    ['length 65', { length: 65 }],
    ['too little entropy', { length: 6, complexity: { letters: false }, excludeAmbiguous: false }],
    ['numbers disabled', { complexity: { numbers: false } }],
    ['unknown field', { maxTTL: 100 }],
    ['wrong type', { maxTtl: '100' }],
    ['not an object', 'strict'],
  ])('refuses %s with invalid_value and leaves the stored policy unchanged', (_n, patch) => {
    h.service.updatePolicy({ maxTtl: 720, lockoutDuration: 20 });
    const before = h.service.getPolicy();
    const eventsBefore = h.service.queryAudit({ action: 'policy.updated' }).length;
    const err = catchTacError(() => h.service.updatePolicy(patch), 'invalid_value');
    expect(err.exitCode).toBe(2);
    expect(h.service.getPolicy()).toEqual(before);
    expect(h.store.getPolicy()).toEqual(before);
    expect(h.service.queryAudit({ action: 'policy.updated' })).toHaveLength(eventsBefore);
  });

  it('replacePolicy requires every field, including each complexity field', () => {
    const full = { ...EXPECTED_DEFAULTS, maxTtl: 900, complexity: { ...EXPECTED_DEFAULTS.complexity } };
    const { maxFailedAttempts: _omit, ...missingOne } = full;
    expect(catchTacError(() => h.service.replacePolicy(missingOne), 'invalid_value').field).toBe('maxFailedAttempts');
    const missingComplexity = { ...full, complexity: { numbers: true, letters: true } };
    expect(catchTacError(() => h.service.replacePolicy(missingComplexity), 'invalid_value').field).toBe('complexity.specialCharacters');
    expect(h.service.getPolicy()).toEqual(EXPECTED_DEFAULTS);

    expect(h.service.replacePolicy(full)).toEqual(full);
    expect(h.service.getPolicy()).toEqual(full);
  });

  it('replacePolicy still validates the combination', () => {
    const bad = { ...EXPECTED_DEFAULTS, minTtl: 100, complexity: { ...EXPECTED_DEFAULTS.complexity } };
    catchTacError(() => h.service.replacePolicy(bad), 'invalid_value');
    expect(h.service.getPolicy()).toEqual(EXPECTED_DEFAULTS);
  });

  it('resetPolicy restores the defaults', () => {
    h.service.updatePolicy({ maxTtl: 900, mixedCase: true, length: 12, enabled: false });
    expect(h.service.getPolicy()).not.toEqual(EXPECTED_DEFAULTS);
    expect(h.service.resetPolicy()).toEqual(EXPECTED_DEFAULTS);
    expect(h.service.getPolicy()).toEqual(EXPECTED_DEFAULTS);
    const [ev] = h.service.queryAudit({ action: 'policy.updated', limit: 1 });
    expect(ev!.details.changes).toMatchObject({ maxTtl: { from: 900, to: 480 }, enabled: { from: false, to: true } });
  });

  it('a disabled policy refuses issuing (policy_violation) and verifying (tacs_disabled)', () => {
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    h.service.updatePolicy({ enabled: false });
    const err = catchTacError(() => h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' }), 'policy_violation');
    expect(err.exitCode).toBe(5);
    expect(h.service.verify('alice', issued.code)).toEqual({ valid: false, reason: 'tacs_disabled' });
    // the refused attempts changed nothing: re-enabling makes the code work again
    h.service.updatePolicy({ enabled: true });
    expect(h.service.verify('alice', issued.code).valid).toBe(true);
  });
});
