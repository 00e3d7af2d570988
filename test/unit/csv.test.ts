import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FastCsv, parseCsv, readCsv, type CsvRecord } from '../../src/cli/csv.js';

const header = (cols: string[]) => {
  if (cols.includes('bad')) throw new Error('header refused');
};

type Outcome = { records: CsvRecord[]; error?: string };

async function collect(gen: AsyncGenerator<CsvRecord | CsvRecord[]>): Promise<Outcome> {
  const records: CsvRecord[] = [];
  try {
    for await (const r of gen) records.push(...(Array.isArray(r) ? r : [r]));
  } catch (e) {
    return { records, error: (e as Error).message };
  }
  return { records };
}

const source = (data: Buffer, chunk: number) => () => {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  return Readable.from(parts.length ? parts : [Buffer.alloc(0)]);
};

/** What the fast reader alone makes of a text: its records, or undefined when it hands over. */
function fastOnly(text: string): CsvRecord[] | undefined {
  const p = new FastCsv(header);
  try {
    p.parse(text, true, text.length);
  } catch (e) {
    if ((e as Error).constructor.name === 'NotFast') return undefined;
    throw e;
  }
  return p.records;
}

// Pieces CSV is made of, including every character csv-parse treats specially.
const TOKENS = ['a', 'Bob', 'x y', ' ', '  ', '\t', '\f', '"', '""', ',', ',', ',', '\n', '\n', '\r\n', '\r', 'é', '\u00a0', '\uFEFF', '+1555', '@', '\u0000'];
const csvText = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => t.join(''));

/** Mostly well-formed files: quoted and plain fields, blank lines, one kind of line end. */
const field = fc.oneof(
  fc.constantFrom('', 'a', 'Guest 1', ' padded ', 'é', 'x\u00a0', '+15551234567'),
  fc.constantFrom('a', 'b,c', 'say ""hi""', 'two\nlines', 'cr\r\nlf', '', ' ').map((v) => `"${v}"`),
  fc.constantFrom(' "q" ', '\t"q"'),
);
const wellFormed = fc.record({
  cols: fc.integer({ min: 1, max: 4 }),
  rows: fc.array(fc.array(field, { minLength: 4, maxLength: 4 }), { maxLength: 8 }),
  eol: fc.constantFrom('\n', '\r\n'),
  blank: fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
  bom: fc.boolean(),
  last: fc.boolean(),
}).map(({ cols, rows, eol, blank, bom, last }) => {
  const lines = [['email', 'name', 'phone', 'username'].slice(0, cols).join(','), ...rows.map((r) => r.slice(0, cols).join(','))];
  const withBlanks = lines.flatMap((l, i) => (blank[i % 10] ? [l, i % 2 ? '  ' : ''] : [l]));
  return `${bom ? '\uFEFF' : ''}${withBlanks.join(eol)}${last ? eol : ''}`;
});

describe('readCsv: the fast reader gives exactly what csv-parse gives', () => {
  const same = async (text: string, chunk: number) => {
    const data = Buffer.from(text);
    const expected = await collect(parseCsv(source(data, chunk), header));
    const actual = await collect(readCsv(source(data, chunk), header));
    expect(actual, JSON.stringify(text)).toEqual(expected);
  };

  it('on any mix of the characters CSV treats specially (records, lines, errors)', async () => {
    await fc.assert(fc.asyncProperty(csvText, fc.integer({ min: 1, max: 8 }), (t, c) => same(`email,name\n${t}`, c)), { numRuns: 1500 });
    await fc.assert(fc.asyncProperty(csvText, fc.integer({ min: 1, max: 8 }), (t, c) => same(t, c)), { numRuns: 500 });
  });

  it('on well-formed files, which it reads itself', async () => {
    await fc.assert(fc.asyncProperty(wellFormed, fc.integer({ min: 1, max: 64 }), async (t, c) => {
      await same(t, c);
      const fast = fastOnly(t.replace(/^\uFEFF/, ''));
      expect(fast, JSON.stringify(t)).toBeDefined();
    }), { numRuns: 1000 });
  });

  it('hands over in the middle of a large file without losing or repeating a record', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => `g${i}@example.com,Guest ${i}`);
    // A lone CR (csv-parse keeps it in the field, then trims it) late in the file: not the fast form.
    rows[25_000] = 'late@example.com,Late\r';
    const data = Buffer.from(`email,name\n${rows.join('\n')}\n`);
    const expected = await collect(parseCsv(source(data, 65536), header));
    const actual = await collect(readCsv(source(data, 65536), header));
    expect(actual.records.length).toBe(30_000);
    expect(actual).toEqual(expected);
  });

  it('reads CRLF files with quoted names, BOM and blank lines itself, with csv-parse line numbers', () => {
    const text = 'email,name\r\n\r\na@example.com,"Guest, ""the quoted"" one"\r\n  \r\nb@example.com,"two\r\nlines"\r\nc@example.com, plain \r\n';
    expect(fastOnly(text)).toEqual([
      { line: 3, record: { email: 'a@example.com', name: 'Guest, "the quoted" one' } },
      { line: 7, record: { email: 'b@example.com', name: 'two\r\nlines' } },
      { line: 8, record: { email: 'c@example.com', name: 'plain' } },
    ]);
  });
});
