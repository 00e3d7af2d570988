import { createRequire } from 'node:module';
import { truncate } from './duration.js';
import { invalid } from './errors.js';

/**
 * Phone numbers are identities (a user may be named by phone in `verify`), so each is kept in one
 * canonical form, E.164 with a leading + (`+15551234567`), and every uniqueness check and lookup
 * uses that form. libphonenumber-js reads what people type (spaces, dashes, brackets, national
 * prefixes, 00 for international); we accept any number whose length is possible for its country
 * (`isPossible`), not only numbers in a currently allocated range (`isValid`), so test ranges
 * such as 555 numbers work and a newly allocated range never locks a user out.
 */

type PhoneLib = typeof import('libphonenumber-js/min');

let lib: PhoneLib | undefined;
/** Loaded on first use (~20 ms of metadata): commands that never see a phone number never pay it. */
function phoneLib(): PhoneLib {
  return (lib ??= createRequire(import.meta.url)('libphonenumber-js/min') as PhoneLib);
}

/** What a typed phone number may contain before parsing: digits, an optional leading +, separators. */
const PHONE_SHAPE = /^\+?[0-9]{4,17}$/;
/**
 * +1 and ten digits: a number of the North American Numbering Plan in E.164. Every one of the 25
 * countries sharing +1 takes ten national digits, and +1 has no prefix to strip after the
 * country code, so libphonenumber returns such a number as it is, possible. It gets there by
 * testing the number against each country's patterns to name its country (~60 µs, most of an
 * import's phone cost), which the canonical form does not use: skipped. test/unit/phone.test.ts
 * checks both claims against the library (its metadata, and the result for sampled numbers).
 */
const NANP_E164 = /^\+1[0-9]{10}$/;
const SEPARATORS = /[\s().-]/g;

/** The digits (and leading +) of something that looks like a phone number, or undefined. */
export function phoneDigits(text: string): string | undefined {
  const s = text.trim().replace(SEPARATORS, '');
  return PHONE_SHAPE.test(s) ? s : undefined;
}

/** Whether `region` is an ISO 3166-1 alpha-2 code libphonenumber has numbering rules for. */
export function isPhoneRegion(region: string): boolean {
  return /^[A-Z]{2}$/.test(region) && phoneLib().isSupportedCountry(region as never);
}

/** A refusal: `problem` completes a line after the quoted number; `brief` is its first clause. */
export type PhoneResult = { ok: true; e164: string } | { ok: false; brief: string; problem: string };

/**
 * Numbers this process has just made canonical. An import checks each row in the CLI and again in
 * the engine (which must, for a server's sake); an E.164 number reads as itself in every region,
 * so the second parse (~20 µs each, a fifth of a 100,000-row import) can be skipped. Bounded: one
 * import batch at a time is all it needs to hold.
 */
const recentlyCanonical = new Set<string>();
const RECENT_MAX = 10_000;

/**
 * Numbers canonicalPhone made earlier in this process and kept since (an import's check phase
 * spools its rows, then writes them): the engine's check of each is then skipped again.
 */
export function rememberCanonical(e164: string): void {
  if (recentlyCanonical.size >= RECENT_MAX) recentlyCanonical.clear();
  recentlyCanonical.add(e164);
}

/**
 * The E.164 form of a typed number. A number without + (or 00) is read in `region`, the
 * database's default region (policy phoneRegion); without one it has no country and is refused.
 */
export function canonicalPhone(text: string, region: string | null): PhoneResult {
  if (recentlyCanonical.has(text)) return { ok: true, e164: text };
  const digits = phoneDigits(text);
  if (!digits) return { ok: false, brief: 'is not a phone number', problem: 'is not a phone number; use digits with an optional leading + and the country code' };
  if (!digits.startsWith('+') && !region) {
    return { ok: false, brief: 'has no country code', problem: 'has no country code: write it with + and the country code (e.g. +1 555 123 4567), or set a default region (tac policy set --phone-region US)' };
  }
  if (NANP_E164.test(digits)) {
    rememberCanonical(digits);
    return { ok: true, e164: digits };
  }
  const parsed = phoneLib().parsePhoneNumberFromString(digits, region ? { defaultCountry: region as never } : undefined);
  if (!parsed || !parsed.isPossible()) {
    const brief = `is not a possible phone number${digits.startsWith('+') ? '' : ` in region ${region}`}`;
    return { ok: false, brief, problem: brief };
  }
  rememberCanonical(parsed.number);
  return { ok: true, e164: parsed.number };
}

/** canonicalPhone for input fields: the canonical form, or a one-line error naming the field. */
export function normalizePhoneField(field: string, phone: unknown, region: string | null): string | null {
  if (phone === undefined || phone === null || phone === '') return null;
  if (typeof phone !== 'string') throw invalid(field, 'must be a string');
  const r = canonicalPhone(phone, region);
  if (!r.ok) throw invalid(field, `"${truncate(phone)}" ${r.problem}`);
  return r.e164;
}
