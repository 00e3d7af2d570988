import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RowSpool } from '../../src/cli/spool.js';

describe('RowSpool: validated import rows between the check and the write', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tac-spool-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives back every row, in order, in batches of the size asked, across read chunks and multi-byte text', () => {
    const spool = new RowSpool<{ email: string; name: string | null; phone?: string }>(dir);
    // ~3 MiB of rows: several 1 MiB reads, lines and multi-byte characters cut at chunk borders.
    const rows = Array.from({ length: 30_000 }, (_, i) => ({ email: `guest${i}@example.com`, name: i % 7 ? `Zoë Ñandú ${'漢字'.repeat(i % 20)} ${i}` : null, ...(i % 3 ? {} : { phone: `+1555${i}` }) }));
    rows.forEach((r, i) => spool.push(i + 2, r));
    const batches = [...spool.batches(500)];
    expect(batches.map((b) => b.length)).toEqual([...Array(60).fill(500)]);
    const back = batches.flat();
    expect(back.map((r) => r.line)).toEqual(rows.map((_, i) => i + 2));
    expect(back.map((r) => r.input)).toEqual(rows);
    // Read twice: the same rows (the spool is a file, not a stream).
    expect([...spool.batches(7_000)].flat()).toHaveLength(rows.length);
    spool.close();
  });

  it('has no name in the temp dir while in use, and leaves nothing behind', () => {
    const spool = new RowSpool<{ email: string }>(dir);
    spool.push(2, { email: 'a@example.com' });
    expect(readdirSync(dir)).toEqual([]);
    expect([...spool.batches(10)]).toEqual([[{ line: 2, input: { email: 'a@example.com' } }]]);
    spool.close();
    spool.close(); // idempotent
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an empty spool has no batches', () => {
    const spool = new RowSpool<{ email: string }>(dir);
    expect([...spool.batches(10)]).toEqual([]);
    spool.close();
  });
});
