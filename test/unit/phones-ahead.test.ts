import { describe, expect, it } from 'vitest';
import { phonesAhead } from '../../src/cli/phones-ahead.js';
import type { CsvRecord } from '../../src/cli/csv.js';
import { canonicalPhone, knownCanonical } from '../../src/core/phone.js';

async function* source(batches: CsvRecord[][]): AsyncGenerator<CsvRecord[]> {
  for (const b of batches) yield b;
}
const rows = (line: number, phones: string[]): CsvRecord[] => phones.map((phone, i) => ({ line: line + i, record: { email: `g${line + i}@example.com`, phone } }));

describe('phonesAhead: an import checks the next batch\'s phone numbers in a worker thread', () => {
  it('hands every batch on unchanged and in order, and remembers exactly the numbers already canonical', async () => {
    const batches = [
      rows(2, ['+15550001001']), // the first batch goes on at once, unchecked
      rows(3, ['+15550001002', '+1555000', '+44 20 7946 0958', '']),
      rows(7, ['+442079460958', '+4402079460958', '555-0001003']),
    ];
    const seen: CsvRecord[][] = [];
    for await (const b of phonesAhead(source(batches))) seen.push(b);
    expect(seen).toEqual(batches);
    // Canonical: the worker's answer is what canonicalPhone answers.
    for (const t of ['+15550001002', '+442079460958']) {
      expect(knownCanonical(t)).toBe(true);
      expect(canonicalPhone(t, null)).toEqual({ ok: true, e164: t });
    }
    // Not possible, or with a national prefix (its E.164 form is another text), or not in E.164's
    // shape: left to this thread, which parses (and refuses or rewrites) them as before.
    for (const t of ['+1555000', '+4402079460958', '+44 20 7946 0958', '555-0001003']) expect(knownCanonical(t)).toBe(false);
    expect(canonicalPhone('+4402079460958', null)).toEqual({ ok: true, e164: '+442079460958' });
    expect(knownCanonical('+15550001001')).toBe(false);
  });

  it('keeps the order over many batches, holding back only a few', async () => {
    const batches = Array.from({ length: 8 }, (_, b) => rows(2 + b * 3, [0, 1, 2].map((i) => `+1555100${b}${i}00`)));
    const seen: CsvRecord[][] = [];
    for await (const b of phonesAhead(source(batches))) seen.push(b);
    expect(seen).toEqual(batches);
    for (const b of batches.slice(1)) for (const { record } of b) expect(knownCanonical(record.phone!)).toBe(true);
  });

  it('stops its worker when the reader stops early, and passes on the source\'s error', async () => {
    let n = 0;
    for await (const _ of phonesAhead(source([rows(2, ['+15550002001']), rows(3, ['+15550002002']), rows(4, ['+15550002003'])]))) {
      if (++n === 2) break;
    }
    expect(n).toBe(2);
    async function* failing(): AsyncGenerator<CsvRecord[]> {
      yield rows(2, ['+15550003001']);
      yield rows(3, ['+15550003002']);
      throw new Error('line 4: a quoted field is never closed');
    }
    await expect((async () => {
      for await (const _ of phonesAhead(failing()));
    })()).rejects.toThrow('line 4: a quoted field is never closed');
  });
});
