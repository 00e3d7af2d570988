import { createRequire } from 'node:module';
import type { Style } from './color.js';

export type Cell = string | number | boolean | null | undefined;

const cell = (v: Cell): string => (v === null || v === undefined ? '' : String(v));

/**
 * On a TTY: a table with a header (cli-table3, loaded only then). Piped: tab-separated lines
 * without a header, one record per line, tabs and newlines inside values replaced by spaces.
 */
export function renderTable(headers: string[], rows: Cell[][], opts: { tty: boolean; style: Style }): string {
  if (!opts.tty) {
    return rows.map((r) => r.map((v) => cell(v).replace(/[\t\r\n]+/g, ' ')).join('\t')).join('\n') + (rows.length ? '\n' : '');
  }
  const Table = createRequire(import.meta.url)('cli-table3') as typeof import('cli-table3');
  const table = new Table({
    head: headers.map((h) => opts.style.bold(h)),
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of rows) table.push(r.map(cell));
  return `${table.toString()}\n`;
}

/** Key/value block for one record (e.g. `users show`): aligned on a TTY, tab-separated when piped. */
export function renderRecord(pairs: [string, Cell][], opts: { tty: boolean; style: Style }): string {
  if (!opts.tty) return pairs.map(([k, v]) => `${k}\t${cell(v).replace(/[\t\r\n]+/g, ' ')}`).join('\n') + '\n';
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${opts.style.dim(k.padEnd(width))}  ${cell(v)}`).join('\n') + '\n';
}
