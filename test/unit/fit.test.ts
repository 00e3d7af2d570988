import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AGENT_TABLE } from '../../src/cli/agents-target.js';
import { PROFILE_TABLE } from '../../src/cli/commands/config/list.js';
import { AUDIT_TABLE, TAC_TABLE, USER_TABLE } from '../../src/cli/present.js';
import { fitColumns, tableWidth, type TableSpec } from '../../src/output/fit.js';
import { renderTable } from '../../src/output/table.js';

const { strlen } = createRequire(import.meta.url)('cli-table3/src/utils') as { strlen: (s: string) => number };
const plain = { bold: (s: string) => s } as Parameters<typeof renderTable>[2]['style'];

/** ID 20 wide, never cut; NAME cut down to 6; NOTE cut down to 4; N 1 wide. */
const SPEC: TableSpec = { headers: ['ID', 'NAME', 'N', 'NOTE'], priority: ['ID', 'NAME', 'NOTE', 'N'], shrink: { NAME: 6, NOTE: 4 } };
const ROWS = [['tac_abcdefghijklmnop', 'Bartholomew', '1', 'a long note here']];
// Natural widths 20, 11, 1, 16: 1 + 23 + 14 + 4 + 19 = 61 columns.

describe('fitColumns', () => {
  it('shows every column at its natural width when the table fits (or the width is unknown)', () => {
    for (const max of [61, 200, Infinity]) expect(fitColumns(SPEC, ROWS, max)).toEqual({ columns: [0, 1, 2, 3], widths: [20, 11, 1, 16] });
  });

  it('cuts the least important shrinkable column first, and only as far as needed', () => {
    expect(fitColumns(SPEC, ROWS, 55)).toEqual({ columns: [0, 1, 2, 3], widths: [20, 11, 1, 10] });
    expect(fitColumns(SPEC, ROWS, 46)).toEqual({ columns: [0, 1, 2, 3], widths: [20, 8, 1, 4] });
  });

  it('drops columns from the end of the priority list once the rest cannot fit at their narrowest', () => {
    // ID 20 + NAME 6 + NOTE 4 + N 1 at their narrowest need 44; one less drops N (the last).
    expect(fitColumns(SPEC, ROWS, 44)).toEqual({ columns: [0, 1, 2, 3], widths: [20, 6, 1, 4] });
    expect(fitColumns(SPEC, ROWS, 43)).toEqual({ columns: [0, 1, 3], widths: [20, 9, 4] });
    expect(fitColumns(SPEC, ROWS, 36)).toEqual({ columns: [0, 1], widths: [20, 9] });
  });

  it('never cuts an id while other columns can go; alone, the first column is cut to the width', () => {
    expect(fitColumns(SPEC, ROWS, 33)).toEqual({ columns: [0, 1], widths: [20, 6] });
    expect(fitColumns(SPEC, ROWS, 32)).toEqual({ columns: [0], widths: [20] });
    expect(fitColumns(SPEC, ROWS, 15)).toEqual({ columns: [0], widths: [11] });
  });

  it('measures with the given width function (wide characters count twice)', () => {
    const rows = [['tac_abcdefghijklmnop', '山田太郎山田太郎', '1', 'x']];
    expect(fitColumns(SPEC, rows, Infinity, strlen).widths).toEqual([20, 16, 1, 4]);
  });

  it('any table, any width from 8: lines within the width, kept columns a prefix of the priority list', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '山', 'é'), maxLength: 40 });
    fc.assert(
      fc.property(fc.array(fc.tuple(text, text, text, text), { maxLength: 5 }), fc.integer({ min: 8, max: 200 }), (rows, max) => {
        const { columns, widths } = fitColumns(SPEC, rows, max, strlen);
        expect(tableWidth(widths)).toBeLessThanOrEqual(max);
        const kept = SPEC.priority.filter((h) => columns.includes(SPEC.headers.indexOf(h)));
        expect(kept).toEqual(SPEC.priority.slice(0, kept.length));
      }),
    );
  });
});

describe("the CLI's tables", () => {
  it.each([
    ['users', USER_TABLE], ['tacs', TAC_TABLE], ['audit', AUDIT_TABLE], ['agents', AGENT_TABLE], ['profiles', PROFILE_TABLE],
  ] as const)('%s: the priority lists every header once; shrinkable columns keep their header whole', (_name, spec) => {
    expect([...spec.priority].sort()).toEqual([...spec.headers].sort());
    for (const [h, min] of Object.entries(spec.shrink ?? {})) {
      expect(spec.headers).toContain(h);
      expect(min).toBeGreaterThanOrEqual(h.length);
    }
  });

  it('tac list keeps ID, USER, STATUS and EXPIRES at 80 columns, the id whole', () => {
    const row = ['tac_abcdefghijklmnop', 'bartholomew.longname (guest)', 'active', '2026-05-01T09:00:00.000Z', '2026-05-01T10:00:00.000Z', 'one-time', 0, 'helpdesk-anna'];
    const { columns } = fitColumns(TAC_TABLE, [row.map(String)], 80, strlen);
    expect(columns.map((i) => TAC_TABLE.headers[i])).toEqual(['ID', 'USER', 'STATUS', 'EXPIRES']);
  });
});

describe('renderTable', () => {
  const rows = [['tac_abcdefghijklmnop', 'Bartholomew\nLongname', 1, 'a long note\there']];

  it('on a terminal: no line wider than the columns, cut values end in "…", one line per row', () => {
    const out = renderTable(SPEC, rows, { tty: true, style: plain, columns: 40 });
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(4); // top border, header, the row, bottom border
    for (const l of lines) expect(strlen(l)).toBeLessThanOrEqual(40);
    expect(out).toContain('tac_abcdefghijklmnop');
    expect(out).toMatch(/│ Barth… │ a l… │/);
  });

  it('piped: every column, tab-separated, whatever the columns', () => {
    const out = renderTable(SPEC, rows, { tty: false, style: plain, columns: 40 });
    expect(out).toBe('tac_abcdefghijklmnop\tBartholomew Longname\t1\ta long note here\n');
  });
});
