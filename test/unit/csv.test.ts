/**
 * readCsv hands csv-parse's records to the import in batches: every record exactly once, in order,
 * with the line it ends on; malformed CSV is one error naming the line.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCsv, type CsvRecord } from '../../src/cli/csv.js';

const header = (cols: string[]) => {
  if (cols.includes('bad')) throw new Error('header refused');
};

const source = (text: string, chunk = 65536) => () => {
  const data = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  return Readable.from(parts.length ? parts : [Buffer.alloc(0)]);
};

async function batches(text: string, chunk?: number): Promise<CsvRecord[][]> {
  const out: CsvRecord[][] = [];
  for await (const b of readCsv(source(text, chunk), header)) out.push(b);
  return out;
}

describe('readCsv', () => {
  it('gives every record once, in order, in batches of at most 500', async () => {
    const rows = Array.from({ length: 1234 }, (_, i) => `g${i}@example.com,Guest ${i}`);
    const got = await batches(`email,name\n${rows.join('\n')}\n`, 777);
    expect(got.map((b) => b.length)).toEqual([500, 500, 234]);
    const flat = got.flat();
    expect(flat.map((r) => r.record.email)).toEqual(rows.map((_, i) => `g${i}@example.com`));
    expect(flat.map((r) => r.line)).toEqual(rows.map((_, i) => i + 2));
  });

  it('reads BOM, CRLF, blank lines and quoted commas, quotes and newlines, with the line each record ends on', async () => {
    const text = '\uFEFFEmail, Name \r\n\r\na@example.com,"Guest, ""the quoted"" one"\r\n\r\nb@example.com,"two\nlines"\r\nc@example.com, plain \r\n';
    expect((await batches(text, 5)).flat()).toEqual([
      { line: 3, record: { email: 'a@example.com', name: 'Guest, "the quoted" one' } },
      { line: 6, record: { email: 'b@example.com', name: 'two\nlines' } },
      { line: 7, record: { email: 'c@example.com', name: 'plain' } },
    ]);
  });

  it('a stray quote, an unclosed quote or a missing field is one error naming the line', async () => {
    await expect(batches('email,name\na@example.com,ok\nb@example.com,x"y\n')).rejects.toThrow(/line 3.*stray quote/);
    await expect(batches('email,name\na@example.com,"never closed\n')).rejects.toThrow(/quoted field is never closed/);
    await expect(batches('email,name\na@example.com\n')).rejects.toThrow(/line 2.*number of fields/);
  });

  it('the header check runs before any record is given', async () => {
    await expect(batches('email,bad\na@example.com,x\n')).rejects.toThrow('header refused');
  });
});
