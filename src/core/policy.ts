import { formatMinutes } from './duration.js';
import { invalid, TacError } from './errors.js';
import { isPhoneRegion } from './phone.js';

/** The TAC policy, as printed by `tac policy show --json`. TTLs and lockout in minutes. */
export interface Policy {
  enabled: boolean;
  minTtl: number;
  maxTtl: number;
  defaultTtl: number;
  length: number;
  complexity: { numbers: boolean; letters: boolean; specialCharacters: boolean };
  mixedCase: boolean;
  excludeAmbiguous: boolean;
  multiUseAllowed: boolean;
  oneTimeDefault: boolean;
  maxFailedAttempts: number;
  lockoutDuration: number;
  /**
   * Failed attempts after which the user stays locked until an agent unlocks them (NIST SP 800-63B
   * §5.2.2: at most 100). Counted since the last unlock or the last success with a one-time code: a
   * multi-use code's successes do not reset it, so guesses between legitimate uses stay bounded.
   */
  maxConsecutiveFailures: number;
  purgeAfterDays: number;
  /**
   * ISO 3166-1 alpha-2 region in which a phone number typed without a country code is read
   * (`US`: 555-123-4567 is +15551234567), or null: such numbers are refused. In the database,
   * not the CLI's config, so every agent and server reads a number as the same identity.
   */
  phoneRegion: string | null;
  /** Agents must state how they verified the caller's identity before `generate` (guests exempt). */
  requireAttestation: boolean;
}

/** A partial policy: what `policy set` and PATCH accept. */
export type PolicyPatch = Partial<Omit<Policy, 'complexity'>> & { complexity?: Partial<Policy['complexity']> };

/** 30 days: no TTL, however configured, may exceed this (Entra's ceiling for a TAP). */
export const TTL_CEILING_MINUTES = 43_200;
export const MIN_LENGTH = 6;
export const MAX_LENGTH = 64;
/** NIST SP 800-63B §5.2.2: no more than 100 consecutive failed attempts on one account. */
export const MAX_CONSECUTIVE_FAILURES = 100;
/**
 * NIST SP 800-63B: an attacker's chance of guessing a rate-limited secret within its lifetime must
 * stay at most 2^-20, so the code space must be at least 2^20 times the guesses the policy allows.
 */
export const GUESS_MARGIN_BITS = 20;

export interface Range {
  min: number;
  max: number;
  unit?: 'minutes' | 'days';
}

const TTL_RANGE: Range = { min: 1, max: TTL_CEILING_MINUTES, unit: 'minutes' };

/**
 * The allowed values of each numeric field: one table for validatePolicy, `policy set`'s flags and
 * their help, so that no message names another range.
 */
export const POLICY_RANGES = {
  minTtl: TTL_RANGE,
  maxTtl: TTL_RANGE,
  defaultTtl: TTL_RANGE,
  lockoutDuration: TTL_RANGE,
  length: { min: MIN_LENGTH, max: MAX_LENGTH },
  maxFailedAttempts: { min: 1, max: 100 },
  maxConsecutiveFailures: { min: 1, max: MAX_CONSECUTIVE_FAILURES },
  purgeAfterDays: { min: 0, max: 3650, unit: 'days' },
} as const satisfies Record<string, Range>;

/** How every message and help text writes a range: "6 to 64", "1 to 43200 minutes (30d)". */
export function rangeText(r: Range): string {
  const text = `${r.min} to ${r.max}${r.unit ? ` ${r.unit}` : ''}`;
  return r.unit === 'minutes' && r.max >= 1440 ? `${text} (${formatMinutes(r.max)})` : text;
}

/** Phone-friendly defaults: 8 digits and upper-case letters without look-alikes, one-time, 1 hour. */
export const DEFAULT_POLICY: Policy = Object.freeze({
  enabled: true,
  minTtl: 10,
  maxTtl: 480,
  defaultTtl: 60,
  length: 8,
  complexity: Object.freeze({ numbers: true, letters: true, specialCharacters: false }),
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
}) as Policy;

// Special characters exclude '-' and ' ' because those are stripped from typed-in codes.
const DIGITS = '0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const SPECIAL = '!@#$%&*+=?';
const AMBIGUOUS = new Set(['0', 'O', 'o', '1', 'I', 'l', 'i', 'L']);

/** The character classes a code must draw from, one string per enabled class. */
/** The classes per combination of the four settings they depend on: a bulk import draws 100,000s of codes. */
const CLASSES = new Map<number, readonly string[]>();

export function characterClasses(p: Policy): readonly string[] {
  const key = Number(p.excludeAmbiguous) | (Number(p.complexity.letters) << 1) | (Number(p.mixedCase) << 2) | (Number(p.complexity.specialCharacters) << 3);
  let classes = CLASSES.get(key);
  if (!classes) {
    const keep = (s: string) => (p.excludeAmbiguous ? [...s].filter((c) => !AMBIGUOUS.has(c)).join('') : s);
    const list = [keep(DIGITS)];
    if (p.complexity.letters) {
      list.push(keep(UPPER));
      if (p.mixedCase) list.push(keep(LOWER));
    }
    if (p.complexity.specialCharacters) list.push(SPECIAL);
    CLASSES.set(key, (classes = Object.freeze(list)));
  }
  return classes;
}

export function alphabetSize(p: Policy): number {
  return characterClasses(p).reduce((n, c) => n + c.length, 0);
}

export function entropyBits(p: Policy): number {
  return p.length * Math.log2(alphabetSize(p));
}

/** Codes are compared case-insensitively unless the policy mixes cases. */
export const isCaseSensitive = (p: Policy): boolean => p.complexity.letters && p.mixedCase;

const BOOLEAN_FIELDS = ['enabled', 'mixedCase', 'excludeAmbiguous', 'multiUseAllowed', 'oneTimeDefault', 'requireAttestation'] as const;
const INTEGER_FIELDS = ['minTtl', 'maxTtl', 'defaultTtl', 'length', 'maxFailedAttempts', 'lockoutDuration', 'maxConsecutiveFailures', 'purgeAfterDays'] as const;
const COMPLEXITY_FIELDS = ['numbers', 'letters', 'specialCharacters'] as const;

/**
 * Checks the shape of a patch (types, unknown fields) so that a policy file or request body with a
 * typo is refused rather than silently ignored.
 */
export function checkPatchShape(input: unknown, where = 'policy'): PolicyPatch {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid(where, 'must be a JSON object');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    if ((BOOLEAN_FIELDS as readonly string[]).includes(k)) {
      if (typeof v !== 'boolean') throw invalid(k, 'must be true or false');
      out[k] = v;
    } else if ((INTEGER_FIELDS as readonly string[]).includes(k)) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(k, 'must be a whole number');
      out[k] = v;
    } else if (k === 'phoneRegion') {
      if (v !== null && (typeof v !== 'string' || !/^[A-Za-z]{2}$/.test(v))) {
        throw invalid('phoneRegion', 'must be a two-letter ISO 3166 region code (e.g. US, GB, DE) or null');
      }
      out[k] = v === null ? null : v.toUpperCase();
    } else if (k === 'complexity') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid('complexity', 'must be an object');
      const c: Record<string, boolean> = {};
      for (const [ck, cv] of Object.entries(v)) {
        if (!(COMPLEXITY_FIELDS as readonly string[]).includes(ck)) {
          throw invalid(`complexity.${ck}`, `unknown field; allowed: ${COMPLEXITY_FIELDS.join(', ')}`);
        }
        if (typeof cv !== 'boolean') throw invalid(`complexity.${ck}`, 'must be true or false');
        c[ck] = cv;
      }
      out.complexity = c;
    } else {
      throw invalid(k, `unknown policy field; allowed: ${[...BOOLEAN_FIELDS, ...INTEGER_FIELDS, 'phoneRegion', 'complexity'].join(', ')}`);
    }
  }
  return out as PolicyPatch;
}

export function mergePolicy(base: Policy, patch: PolicyPatch): Policy {
  return { ...base, ...patch, complexity: { ...base.complexity, ...(patch.complexity ?? {}) } };
}

/** Refuses a policy that is inconsistent or too weak; returns it unchanged when it is sound. */
export function validatePolicy(p: Policy): Policy {
  for (const [field, r] of Object.entries(POLICY_RANGES)) {
    const v = p[field as keyof typeof POLICY_RANGES];
    if (!Number.isSafeInteger(v) || v < r.min || v > r.max) throw invalid(field, `must be a whole number from ${rangeText(r)}`);
  }
  if (p.minTtl > p.defaultTtl) throw invalid('minTtl', `(${p.minTtl}) must not exceed defaultTtl (${p.defaultTtl})`);
  if (p.defaultTtl > p.maxTtl) throw invalid('defaultTtl', `(${p.defaultTtl}) must not exceed maxTtl (${p.maxTtl})`);
  if (!p.complexity.numbers) throw invalid('complexity.numbers', 'numbers cannot be disabled');
  if (p.mixedCase && !p.complexity.letters) throw invalid('mixedCase', 'requires letters to be enabled');
  if (p.phoneRegion !== null && !isPhoneRegion(p.phoneRegion)) {
    throw invalid('phoneRegion', `"${p.phoneRegion}" is not a region with phone numbering rules; use a two-letter ISO 3166 code such as US, GB or DE`);
  }
  if (!p.oneTimeDefault && !p.multiUseAllowed) throw invalid('oneTimeDefault', 'can be false only when multiUseAllowed is true');
  const bits = entropyBits(p);
  const guesses = guessBudget(p);
  if (bits - Math.log2(guesses) < GUESS_MARGIN_BITS) {
    throw invalid('length', `codes of ${p.length} characters from an alphabet of ${alphabetSize(p)} have 2^${bits.toFixed(1)} possibilities (bits of entropy), `
      + `but the policy allows ${guesses} guesses at one code (${guessBudgetText(p)}), more than 2^-${GUESS_MARGIN_BITS} of them: `
      + `raise length or enable more characters, or lower maxFailedAttempts or maxConsecutiveFailures, or raise lockoutDuration`);
  }
  return p;
}

/**
 * Why a stored policy would be refused today, or undefined when it is sound. A policy saved
 * before a rule existed (the guess budget, maxConsecutiveFailures) keeps working, so `policy show`
 * and `tac serve` say what to change rather than refuse to start.
 */
export function policyWeakness(p: Policy): string | undefined {
  try {
    validatePolicy(p);
    return undefined;
  } catch (e) {
    if (e instanceof TacError) return e.message;
    throw e;
  }
}

/**
 * The most wrong guesses an attacker can make at one code in its lifetime: `maxFailedAttempts`
 * per lockout, one burst at the start of each `lockoutDuration` of `maxTtl`, and never more than
 * `maxConsecutiveFailures`. With multi-use codes a legitimate success resets the lockout count, so
 * only `maxConsecutiveFailures` bounds them.
 */
export function guessBudget(p: Policy): number {
  const bursts = p.maxFailedAttempts * Math.ceil(p.maxTtl / p.lockoutDuration);
  return p.multiUseAllowed ? p.maxConsecutiveFailures : Math.min(p.maxConsecutiveFailures, bursts);
}

function guessBudgetText(p: Policy): string {
  const bursts = `maxFailedAttempts ${p.maxFailedAttempts} × ⌈maxTtl ${p.maxTtl} / lockoutDuration ${p.lockoutDuration}⌉`;
  return p.multiUseAllowed ? `maxConsecutiveFailures, as multi-use codes are allowed` : `the lesser of ${bursts} and maxConsecutiveFailures ${p.maxConsecutiveFailures}`;
}

/** Checks a requested TTL against the policy bounds (exit 5 when outside). */
export function checkTtl(p: Policy, ttl: number): void {
  if (ttl < p.minTtl || ttl > p.maxTtl) {
    throw new TacError('policy_violation', `--ttl: ${ttl} minutes is outside the policy's allowed range of ${p.minTtl} to ${p.maxTtl} minutes`, {
      field: 'ttl',
      details: { minTtl: p.minTtl, maxTtl: p.maxTtl },
    });
  }
}
