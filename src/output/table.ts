import { createRequire } from 'node:module';
import type { Style } from './color.js';
import { fitColumns, type TableSpec } from './fit.js';

export type Cell = string | number | boolean | null | undefined;

const cell = (v: Cell): string => (v === null || v === undefined ? '' : String(v));
/** One line per record, on a terminal too: tabs and newlines inside values become spaces. */
const flat = (v: Cell): string => cell(v).replace(/[\t\r\n]+/g, ' ');

/**
 * On a TTY: a table with a header (cli-table3, loaded only then), fitted to `columns` when the
 * terminal's width is known (see fit.ts). Piped: tab-separated lines without a header, one record
 * per line, every column.
 */
export function renderTable(spec: TableSpec, rows: Cell[][], opts: { tty: boolean; style: Style; columns?: number }): string {
  if (!opts.tty) return rows.map((r) => r.map(flat).join('\t')).join('\n') + (rows.length ? '\n' : '');
  const require = createRequire(import.meta.url);
  const Table = require('cli-table3') as typeof import('cli-table3');
  // cli-table3's own measure (string-width: wide and combining characters), so the fit is its width.
  const { strlen } = require('cli-table3/src/utils') as { strlen: (s: string) => number };
  const values = rows.map((r) => r.map(flat));
  const { columns, widths } = fitColumns(spec, values, opts.columns ?? Infinity, strlen);
  const table = new Table({
    head: columns.map((i) => opts.style.bold(spec.headers[i]!)),
    // With widths set, cli-table3 cuts longer values and ends them with "…"; +2 for the padding.
    colWidths: widths.map((w) => w + 2),
    wordWrap: false,
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of values) table.push(columns.map((i) => r[i] ?? ''));
  return `${table.toString()}\n`;
}

/** Key/value block for one record (e.g. `users show`): aligned on a TTY, tab-separated when piped. */
export function renderRecord(pairs: [string, Cell][], opts: { tty: boolean; style: Style }): string {
  if (!opts.tty) return pairs.map(([k, v]) => `${k}\t${flat(v)}`).join('\n') + '\n';
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${opts.style.dim(k.padEnd(width))}  ${cell(v)}`).join('\n') + '\n';
}
