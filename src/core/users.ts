import { randomBytes } from 'node:crypto';
import { invalid } from './errors.js';
import { truncate } from './duration.js';
import { canonicalPhone, normalizePhoneField, phoneDigits } from './phone.js';
import type { NewUserInput, User, UserSummary } from './types.js';

const EMAIL_RE = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
const ID_RE = /^usr_[a-z2-7]{16}$/;
const MAX_NAME = 200;

/** Base32 in ASCII order, so ids sort (as SQLite compares text) in the order they were made. */
const ID_ALPHABET = '234567abcdefghijklmnopqrstuvwxyz';
/** 9 base32 characters of milliseconds since 1970 (45 bits: until the year 3084), then 7 random ones. */
const ID_TIME_CHARS = 9;
const ID_RANDOM_CHARS = 7;
/** `time`: `ms` in base32, kept because a batch (an import's 500 guests) shares one instant. */
const idState = { ms: -1, time: '', random: new Uint8Array(ID_RANDOM_CHARS), pool: Buffer.alloc(0), next: 0 };

/**
 * A new id with a type prefix (usr_, tac_): 16 base32 characters, the creation time in
 * milliseconds then 35 random bits. Ids made in the same millisecond by one process increment the
 * random part instead, so they stay unique and in order. Time order keeps inserts at the end of the
 * id indexes instead of dirtying pages all over them: a 100,000-row import writes far less.
 */
export function newId(prefix: string, now: Date = new Date()): string {
  const s = idState;
  let ms = now.getTime();
  if (ms <= s.ms) {
    ms = s.ms;
    // Same (or an earlier) millisecond: add one to the random part, base 32.
    let i = ID_RANDOM_CHARS - 1;
    while (i >= 0 && s.random[i] === 31) s.random[i--] = 0;
    if (i >= 0) s.random[i]!++;
  } else {
    if (s.next + ID_RANDOM_CHARS > s.pool.length) {
      s.pool = randomBytes(ID_RANDOM_CHARS * 512);
      s.next = 0;
    }
    for (let i = 0; i < ID_RANDOM_CHARS; i++) s.random[i] = s.pool[s.next++]! & 31;
    s.ms = ms;
    s.time = '';
    for (let i = ID_TIME_CHARS - 1; i >= 0; i--) s.time += ID_ALPHABET[Math.floor(ms / 32 ** i) % 32];
  }
  let out = s.time;
  for (let i = 0; i < ID_RANDOM_CHARS; i++) out += ID_ALPHABET[s.random[i]!];
  return `${prefix}_${out}`;
}

export type UserRefKind = 'id' | 'email' | 'phone' | 'username';

/**
 * USER arguments are detected automatically: an id, an email, a phone number or a username. A
 * phone number is looked up in its canonical form, read in `phoneRegion()` when it has no country
 * code (asked only for refs that look like phone numbers); one that cannot be made canonical is
 * taken as a username.
 */
export function detectUserRef(ref: string, phoneRegion: () => string | null = () => null): { kind: UserRefKind; value: string } {
  const s = ref.trim();
  if (ID_RE.test(s)) return { kind: 'id', value: s };
  if (s.includes('@') && EMAIL_RE.test(s)) return { kind: 'email', value: s.toLowerCase() };
  if (phoneDigits(s)) {
    const phone = canonicalPhone(s, phoneRegion());
    if (phone.ok) return { kind: 'phone', value: phone.e164 };
  }
  return { kind: 'username', value: s };
}

export function normalizeEmail(field: string, email: unknown): string {
  const s = typeof email === 'string' ? email.trim() : '';
  if (!s) throw invalid(field, 'is required');
  // NUL, BEL, ESC (terminal escape sequences) ... would be printed back by every listing.
  if (/[\u0000-\u001f\u007f]/.test(s)) throw invalid(field, 'must not contain control characters');
  if (s.length > 254 || !EMAIL_RE.test(s)) throw invalid(field, `"${truncate(s)}" is not a valid email address`);
  return s.toLowerCase();
}

/**
 * A phone field. `region`: the database's default region (canonical form, see phone.ts), or
 * `undefined` where it is not known (the CLI checking a CSV file before sending it to a server):
 * then a number with a country code is made canonical and one without is only checked for shape,
 * and the engine reads it in its region.
 */
export function normalizePhone(field: string, phone: unknown, region: string | null | undefined): string | null {
  if (region !== undefined || typeof phone !== 'string') return normalizePhoneField(field, phone, region ?? null);
  const digits = phoneDigits(phone);
  if (digits && !digits.startsWith('+')) return digits;
  return normalizePhoneField(field, phone, null);
}

export function normalizeUsername(field: string, username: unknown): string {
  const s = typeof username === 'string' ? username.trim() : '';
  if (!s) throw invalid(field, 'is required');
  if (!USERNAME_RE.test(s)) {
    throw invalid(field, `"${truncate(s)}" is not allowed; use 1 to 64 letters, digits and . _ @ + - (starting with a letter or digit)`);
  }
  if (ID_RE.test(s)) throw invalid(field, 'must not look like a user id (usr_…)');
  return s;
}

export function normalizeName(field: string, name: unknown): string | null {
  return normalizeText(field, name, MAX_NAME);
}

/** Optional free text (names, reasons, notes): trimmed, bounded, one line. */
export function normalizeText(field: string, text: unknown, max: number): string | null {
  if (text === undefined || text === null || text === '') return null;
  if (typeof text !== 'string') throw invalid(field, 'must be a string');
  const s = text.trim();
  if (s.length > max) throw invalid(field, `must be at most ${max} characters`);
  if (/[\u0000-\u001f\u007f]/.test(s)) throw invalid(field, 'must not contain control characters');
  return s || null;
}

/** Validates and normalizes new-user input. Guests default their username to their email. */
export function normalizeNewUser(input: NewUserInput, prefix = '', phoneRegion?: string | null): Required<Omit<NewUserInput, 'guest'>> & { guest: boolean } {
  const email = normalizeEmail(`${prefix}email`, input.email);
  const username = input.username === undefined || input.username === null || input.username === ''
    ? input.guest
      ? email
      : (() => { throw invalid(`${prefix}username`, 'is required'); })()
    : normalizeUsername(`${prefix}username`, input.username);
  return {
    username,
    email,
    phone: normalizePhone(`${prefix}phone`, input.phone, phoneRegion),
    name: normalizeName(`${prefix}name`, input.name),
    guest: Boolean(input.guest),
  };
}

export const summarize = (u: User): UserSummary => ({ id: u.id, username: u.username, email: u.email, name: u.name, guest: u.guest });

/**
 * The lockedUntil of a user who reached the policy's maxConsecutiveFailures: locked until an agent
 * unlocks them. A time rather than a flag, so every reader of lockedUntil (older clients, scripts
 * comparing it with now) sees the user as locked; LDAP's password policy uses a sentinel the same way.
 */
export const LOCKED_UNTIL_UNLOCKED = '9999-12-31T23:59:59.999Z';

export const isLockedUntilUnlocked = (lockedUntil: string | null | undefined): boolean => lockedUntil === LOCKED_UNTIL_UNLOCKED;

/** A lock counts only until it expires; after that the user starts again from zero failures. */
export function isLocked(u: User, now: Date): boolean {
  return u.lockedUntil !== null && Date.parse(u.lockedUntil) > now.getTime();
}
