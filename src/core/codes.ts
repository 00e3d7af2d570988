import { createHmac, createSecretKey, randomInt, timingSafeEqual } from 'node:crypto';
import { characterClasses, isCaseSensitive, type Policy } from './policy.js';

/** Source of uniform random integers in [0, max). Injected so tests can be deterministic. */
export type RandomInt = (max: number) => number;

/** crypto.randomInt draws by rejection sampling, so there is no modulo bias. */
export const cryptoRandomInt: RandomInt = (max) => randomInt(0, max);

/**
 * Draws a code uniformly from the policy's alphabet and redraws until every enabled class appears:
 * rejection keeps the result uniform over all valid codes (unlike "one of each, then shuffle").
 */
export function generateCode(policy: Policy, random: RandomInt = cryptoRandomInt): string {
  const classes = characterClasses(policy);
  const alphabet = classes.join('');
  for (let attempt = 0; attempt < 10_000; attempt++) {
    let code = '';
    for (let i = 0; i < policy.length; i++) code += alphabet[random(alphabet.length)];
    if (classes.every((cls) => [...code].some((ch) => cls.includes(ch)))) return code;
  }
  throw new Error('could not draw a code containing every character class');
}

/** What a caller types is matched ignoring spaces and dashes, and case unless the policy mixes cases. */
export function normalizeCode(input: string, caseSensitive: boolean): string {
  const stripped = input.replace(/[\s-]+/g, '');
  return caseSensitive ? stripped : stripped.toUpperCase();
}

export interface CodeHasher {
  /** HMAC-SHA-256 of the normalized code, bound to the user it was issued to; hex. */
  hash(userId: string, normalizedCode: string): string;
  /** A fingerprint of the key, stored in the database to detect a database opened with the wrong key. */
  fingerprint(): string;
}

export function hmacHasher(key: Buffer): CodeHasher {
  // A KeyObject made once: an HMAC from a Buffer key imports the key again each time (every verify
  // hashes the submitted code; ~5.4 µs per hash from a Buffer, ~3.2 µs from a KeyObject).
  const secret = createSecretKey(key);
  return {
    hash: (userId, code) => createHmac('sha256', secret).update(`tac-code:v1:${userId}:${code}`).digest('hex'),
    fingerprint: () => createHmac('sha256', key).update('tac-key-fingerprint:v1').digest('hex').slice(0, 16),
  };
}

/** Constant-time comparison of two hex digests of equal length. */
export function digestsEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

export { isCaseSensitive };

/** Groups a code in fours for reading out: "K7P2X9QM" -> "K7P2 X9QM". */
export const groupCode = (code: string): string => code.replace(/(.{4})(?=.)/g, '$1 ');
