import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { canonicalPhone } from '../../src/core/phone.js';

const require = createRequire(import.meta.url);
const lib = require('libphonenumber-js/min') as typeof import('libphonenumber-js/min');
const metadata = require('libphonenumber-js/metadata.min.json') as {
  country_calling_codes: Record<string, string[]>;
  countries: Record<string, unknown[]>;
};

/** What libphonenumber itself makes of a typed number (canonicalPhone's answer without its +1 shortcut). */
function library(text: string, region: string | null): string | undefined {
  const parsed = lib.parsePhoneNumberFromString(text, region ? { defaultCountry: region as never } : undefined);
  return parsed?.isPossible() ? parsed.number : undefined;
}

describe('canonicalPhone: the +1 shortcut gives what libphonenumber gives', () => {
  it('every country sharing +1 takes ten national digits (the shortcut relies on it)', () => {
    const countries = metadata.country_calling_codes['1']!;
    expect(countries.length).toBeGreaterThan(20);
    // In the min metadata a country is [callingCode, idd, nationalNumberPattern, possibleLengths, ...].
    for (const c of countries) expect(metadata.countries[c]![3], c).toContain(10);
  });

  it('for sampled +1 numbers, every leading digit, typed with separators or not, in any region', () => {
    // A fixed seed: the same numbers every run (a failure can be reproduced).
    let seed = 13;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 3000; i++) {
      const national = `${i % 10}${String(next() % 1e9).padStart(9, '0')}`;
      const region = [null, 'US', 'GB', 'JM'][i % 4]!;
      const typed = i % 2 ? `+1${national}` : `+1 (${national.slice(0, 3)}) ${national.slice(3, 6)}-${national.slice(6)}`;
      const ours = canonicalPhone(typed, region);
      expect(ours.ok ? ours.e164 : undefined, typed).toBe(library(typed, region));
      expect(ours.ok ? ours.e164 : undefined).toBe(`+1${national}`);
    }
  });

  it('leaves other +1 lengths to the library', () => {
    for (const typed of ['+1555000000', '+155500000000', '+1 555']) {
      expect(canonicalPhone(typed, 'US').ok, typed).toBe(library(typed, 'US') !== undefined);
    }
  });
});
