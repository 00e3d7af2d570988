/**
 * Fitting a table to the terminal: a row is never wrapped. Each table says which of its columns
 * matter most; on a narrow terminal the least important are dropped, and long values of the
 * columns that allow it (names, emails) are cut, ending in "…". Ids and times are shown whole or
 * not at all: a cut id cannot be pasted into `tac delete`. Pure, so it is tested without a TTY.
 */

export interface TableSpec {
  /** Column headers, in display order. */
  headers: readonly string[];
  /** Every header once, most important first: a narrow terminal drops columns from the end. */
  priority: readonly string[];
  /** Columns whose values may be cut, each with the narrowest width it may get. */
  shrink?: Readonly<Record<string, number>>;
}

export interface Layout {
  /** Indexes (into `headers`) of the columns shown, in display order. */
  columns: number[];
  /** Width of each shown column's values, without padding and borders. */
  widths: number[];
}

/** A rendered table's line width: a space either side of each value, a border left of each column and one closing the line. */
export const tableWidth = (widths: readonly number[]): number => widths.reduce((sum, w) => sum + w + 3, 1);

/**
 * Keeps the most important columns that fit at their narrowest (dropping from the end of
 * `priority`), then cuts the shrinkable ones, least important first, only as far as needed. When
 * even the first column does not fit, it is cut to the width. `width` measures a value on screen.
 */
export function fitColumns(spec: TableSpec, rows: readonly (readonly string[])[], max: number, width: (s: string) => number = (s) => s.length): Layout {
  const natural = spec.headers.map((h, i) => rows.reduce((w, r) => Math.max(w, width(r[i] ?? '')), width(h)));
  const least = natural.map((w, i) => Math.min(w, spec.shrink?.[spec.headers[i]!] ?? w));
  const ranked = spec.priority.map((h) => spec.headers.indexOf(h));
  let k = ranked.length;
  while (k > 1 && tableWidth(ranked.slice(0, k).map((i) => least[i]!)) > max) k--;
  const kept = ranked.slice(0, k);
  const widths = new Map(kept.map((i) => [i, natural[i]!]));
  let excess = tableWidth([...widths.values()]) - max;
  for (const i of kept.slice().reverse()) {
    if (excess <= 0) break;
    const cut = Math.max(0, Math.min(excess, widths.get(i)! - (k === 1 ? 1 : least[i]!)));
    widths.set(i, widths.get(i)! - cut);
    excess -= cut;
  }
  const columns = kept.sort((a, b) => a - b);
  return { columns, widths: columns.map((i) => widths.get(i)!) };
}
