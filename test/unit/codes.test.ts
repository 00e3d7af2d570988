import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestsEqual, generateCode, groupCode, hmacHasher, normalizeCode } from '../../src/core/codes.js';
import { characterClasses, DEFAULT_POLICY, mergePolicy, type PolicyPatch } from '../../src/core/policy.js';
import { DEFAULT_ALPHABET, scriptedRandom } from './helpers.js';

const policy = (patch: PolicyPatch = {}) => mergePolicy(DEFAULT_POLICY, patch);
const many = (patch: PolicyPatch, n: number) => Array.from({ length: n }, () => generateCode(policy(patch)));

describe('generateCode', () => {
  it('uses the policy length', () => {
    for (const length of [6, 8, 13, 64]) {
      for (const code of many({ length }, 50)) expect(code).toHaveLength(length);
    }
  });

  it('default codes are digits and upper case without look-alikes, always holding both classes', () => {
    for (const code of many({}, 2000)) {
      expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
      expect(code).toMatch(/[0-9]/);
      expect(code).toMatch(/[A-Z]/);
    }
  });

  it('holds every enabled class: digits, upper, lower and specials', () => {
    const p = { mixedCase: true, complexity: { specialCharacters: true } };
    const seen = new Set<string>();
    for (const code of many(p, 2000)) {
      expect(code).toMatch(/[0-9]/);
      expect(code).toMatch(/[A-Z]/);
      expect(code).toMatch(/[a-z]/);
      expect(code).toMatch(/[!@#$%&*+=?]/);
      for (const ch of code) seen.add(ch);
    }
    // every symbol of the alphabet occurs somewhere, nothing outside it
    expect([...seen].sort().join('')).toBe([...characterClasses(policy(p)).join('')].sort().join(''));
  });

  it('digits only when letters are disabled', () => {
    for (const code of many({ length: 10, complexity: { letters: false } }, 200)) expect(code).toMatch(/^[2-9]{10}$/);
    for (const code of many({ length: 10, complexity: { letters: false }, excludeAmbiguous: false }, 200)) expect(code).toMatch(/^[0-9]{10}$/);
  });

  it('with excludeAmbiguous never uses 0 O 1 I L i l o; without it, they do appear', () => {
    const ambiguous = /[0O1ILilo]/;
    for (const code of many({ mixedCase: true, length: 16 }, 2000)) expect(code).not.toMatch(ambiguous);
    const withAmbiguous = many({ mixedCase: true, excludeAmbiguous: false, length: 16 }, 500).join('');
    for (const ch of '0O1ILilo') expect(withAmbiguous).toContain(ch);
  });

  it('draws each symbol uniformly (20000 codes)', () => {
    const N = 20_000;
    const L = DEFAULT_POLICY.length;
    const digits = '23456789';
    const upper = 'ABCDEFGHJKMNPQRSTUVWXYZ';
    const counts = new Map<string, number>();
    for (let i = 0; i < N; i++) for (const ch of generateCode(DEFAULT_POLICY)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(31);

    // Codes are uniform over strings holding at least one digit and one letter. Exact expectation of
    // the number of digits per code under that condition (inclusion-exclusion over the 31^L strings):
    const a = 31, d = 8, u = 23;
    const total = a ** L - u ** L - d ** L; // valid strings (all-digits and all-letters removed)
    const digitSlots = L * d * a ** (L - 1) - L * d ** L; // digit positions summed over valid strings
    const expDigitsPerCode = digitSlots / total;
    const expectedDigit = (N * expDigitsPerCode) / d;
    const expectedUpper = (N * (L - expDigitsPerCode)) / u;

    let chi2 = 0;
    for (const [ch, n] of counts) {
      const expected = digits.includes(ch) ? expectedDigit : expectedUpper;
      expect(upper.includes(ch) || digits.includes(ch)).toBe(true);
      // loose per-symbol bound: ±25% of the naive share and ±10% of the exact one
      expect(Math.abs(n - (N * L) / a) / ((N * L) / a)).toBeLessThan(0.25);
      expect(Math.abs(n - expected) / expected).toBeLessThan(0.1);
      chi2 += (n - expected) ** 2 / expected;
    }
    // 30 degrees of freedom: mean 30, sd ~7.7; 120 is far out in the tail yet catches any real bias.
    expect(chi2).toBeLessThan(120);
  });

  it('is deterministic with an injected random source and redraws until every class appears', () => {
    // first draw is all digits (no letter): it must be thrown away, second draw kept as is
    const random = scriptedRandom(DEFAULT_ALPHABET, '23456789', 'K7P2X9QM');
    expect(generateCode(DEFAULT_POLICY, random)).toBe('K7P2X9QM');
  });

  it('gives up rather than loop forever on a broken random source', () => {
    expect(() => generateCode(DEFAULT_POLICY, () => 0)).toThrow(/every character class/);
  });
});

describe('normalizeCode / matching helpers', () => {
  it('ignores spaces and dashes, and case unless case-sensitive', () => {
    expect(normalizeCode('k7p2-x9qm', false)).toBe('K7P2X9QM');
    expect(normalizeCode(' K7P2 X9QM ', false)).toBe('K7P2X9QM');
    expect(normalizeCode('k7-p2 -- x9\tqm', false)).toBe('K7P2X9QM');
    expect(normalizeCode('k7P2-x9Qm', true)).toBe('k7P2x9Qm');
  });

  it('groups a code in fours', () => {
    expect(groupCode('K7P2X9QM')).toBe('K7P2 X9QM');
    expect(groupCode('K7P2X9QMAB')).toBe('K7P2 X9QM AB');
    expect(groupCode('K7P2')).toBe('K7P2');
  });

  it('hashes with HMAC-SHA-256 bound to the user and the key', () => {
    const key = Buffer.alloc(32, 7);
    const h = hmacHasher(key);
    const expected = createHmac('sha256', key).update('tac-code:v1:usr_x:K7P2X9QM').digest('hex');
    expect(h.hash('usr_x', 'K7P2X9QM')).toBe(expected);
    expect(h.hash('usr_x', 'K7P2X9QM')).toMatch(/^[0-9a-f]{64}$/);
    expect(h.hash('usr_y', 'K7P2X9QM')).not.toBe(expected);
    expect(hmacHasher(Buffer.alloc(32, 8)).hash('usr_x', 'K7P2X9QM')).not.toBe(expected);
    expect(h.fingerprint()).toMatch(/^[0-9a-f]{16}$/);
    expect(hmacHasher(Buffer.alloc(32, 8)).fingerprint()).not.toBe(h.fingerprint());
  });

  it('compares digests', () => {
    const a = 'ab'.repeat(32);
    expect(digestsEqual(a, a)).toBe(true);
    expect(digestsEqual(a, `${'ab'.repeat(31)}ac`)).toBe(false);
    expect(digestsEqual(a, 'ab')).toBe(false);
  });
});
