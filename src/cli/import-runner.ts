import type { Readable } from 'node:stream';
import type { Backend, ImportRow } from '../backends/backend.js';
import { DuplicateTracker } from '../core/imports.js';
import { isTacError, TacError } from '../core/errors.js';
import { rememberCanonical } from '../core/phone.js';
import { progressBar } from '../output/progress.js';
import type { CommandContext } from './context.js';
import { readCsv } from './csv.js';
import { RowSpool } from './spool.js';

/** Rows per transaction (locally) or request (remotely): bounded memory, bounded lock time. */
export const BATCH_SIZE = 500;
const MAX_REPORTED_ERRORS = 20;

export interface ImportPlan<T extends { email: string; phone?: string | null }, R> {
  checkHeader(columns: string[]): void;
  /** The row validated and normalized by the core's rules (a phone number canonical), or a TacError. */
  fromCsv(record: Record<string, string>, line: number): T;
  uniqueFields(row: T): Record<string, string | null | undefined>;
  /** Returns an error message if this existing account makes the row fail under --on-existing. */
  existingConflict(existing: { email: string; guest: boolean; username: string }, line: number): string | undefined;
  writeBatch(rows: ImportRow<T>[]): Promise<R[]>;
}

/**
 * Two phases: the first reads the CSV once and validates every row (format, duplicates inside the
 * file, clashes with existing accounts), keeping the validated rows in a spool file, and writes
 * nothing if any is bad, reporting line numbers; the second writes the spooled rows in batches,
 * so memory does not grow with the file and no row is parsed or validated twice.
 */
export async function runImport<T extends { email: string; phone?: string | null }, R>(
  ctx: CommandContext,
  open: () => Readable,
  plan: ImportPlan<T, R>,
  onBatch: (results: R[]) => void | Promise<void>,
  label = 'Importing',
): Promise<{ rows: number }> {
  const backend = await ctx.backend();
  const spool = new RowSpool<T>();
  try {
    const rows = await validate(ctx, backend, open, plan, spool);
    let done = 0;
    const bar = progressBar(ctx.io.stderr, rows, label);
    try {
      for (const batch of spool.batches(BATCH_SIZE)) {
        // The check phase made these phone numbers canonical: the engine need not parse them again.
        for (const { input } of batch) if (input.phone) rememberCanonical(input.phone);
        await onBatch(await plan.writeBatch(batch));
        done += batch.length;
        bar.update(done);
      }
    } finally {
      bar.stop();
    }
    return { rows };
  } finally {
    spool.close();
  }
}

/**
 * The first phase: reads every row, spools the valid ones, and throws, reporting line numbers, if any is bad. Its own
 * function so that what it holds for the whole file (the duplicate tracker) is freed before the
 * rows are written.
 */
async function validate<T extends { email: string; phone?: string | null }, R>(ctx: CommandContext, backend: Backend, open: () => Readable, plan: ImportPlan<T, R>, spool: RowSpool<T>): Promise<number> {
  const errors: { line: number; error: TacError }[] = [];
  const dupes = new DuplicateTracker();
  let pending: { line: number; email: string }[] = [];
  const suspects = new Map<number, string>();
  let rows = 0;
  let stopped = false;

  const checkExisting = async () => {
    if (!pending.length) return;
    const byEmail = new Map(pending.map((p) => [p.email, p.line]));
    for (const ex of await backend.existingEmails([...byEmail.keys()])) {
      const line = byEmail.get(ex.email)!;
      const msg = plan.existingConflict(ex, line);
      if (msg) errors.push({ line, error: new TacError('conflict', msg, { field: `line ${line}` }) });
    }
    pending = [];
  };

  read: for await (const records of readCsv(open, plan.checkHeader)) {
    for (const { line, record } of records) {
      rows++;
      try {
        const row = plan.fromCsv(record, line);
        // Spooled even when it may repeat an earlier row: if it does, the import stops before writing.
        if (!errors.length) spool.push(line, row);
        // A row that may repeat an earlier one is checked against existing accounts only if it does not.
        if (dupes.check(line, plan.uniqueFields(row))) pending.push({ line, email: row.email });
        else suspects.set(line, row.email);
        if (pending.length >= BATCH_SIZE) await checkExisting();
      } catch (e) {
        if (!isTacError(e)) throw e;
        errors.push({ line, error: e });
      }
      if (errors.length + suspects.size > MAX_REPORTED_ERRORS) {
        stopped = true;
        break read;
      }
    }
  }
  await checkExisting();
  if (suspects.size) {
    // Confirm the possible duplicates against the earlier rows' values (read again: only those lines).
    const wanted = dupes.linesToConfirm();
    const earlier = new Map<number, Record<string, string | null | undefined>>();
    const last = Math.max(...wanted);
    confirm: for await (const records of readCsv(open, plan.checkHeader)) {
      for (const { line, record } of records) {
        if (wanted.has(line)) earlier.set(line, plan.uniqueFields(plan.fromCsv(record, line)));
        if (line >= last) break confirm;
      }
    }
    const { errors: duplicates, cleared } = dupes.confirm(earlier);
    errors.push(...duplicates);
    pending = cleared.map((line) => ({ line, email: suspects.get(line)! }));
    await checkExisting();
  }

  if (errors.length) {
    errors.sort((a, b) => a.line - b.line);
    for (const { error } of errors.slice(0, MAX_REPORTED_ERRORS)) ctx.info(`error: ${error.message}`);
    const more = stopped || errors.length > MAX_REPORTED_ERRORS ? ' (first errors shown; stopped reading)' : '';
    // Format errors are usage errors (2); if every problem is a clash with existing data, it is a conflict (5).
    const code = errors.every(({ error }) => error.code === 'conflict') ? 'conflict' : 'invalid_value';
    throw new TacError(code, `${errors.length} bad row${errors.length === 1 ? '' : 's'}${more}; nothing was imported`);
  }
  if (rows === 0) throw new TacError('invalid_value', 'file: has no data rows; nothing was imported', { field: 'file' });
  return rows;
}
