import { checkHeader, userFromCsv, USER_CSV } from '../../../core/imports.js';
import type { NewUserInput, UserImportResult } from '../../../core/types.js';
import { csvSource } from '../../csv.js';
import { runImport } from '../../import-runner.js';
import type { Handler } from '../../spec.js';

export const run: Handler = async (ctx, { args, opts }) => {
  const onExisting = (opts.onExisting as 'fail' | 'skip' | undefined) ?? 'fail';
  const open = await csvSource(args[0]!, ctx.io.stdin);
  const backend = await ctx.backend();
  const counts = { created: 0, skipped: 0 };
  await runImport<NewUserInput & { email: string }, UserImportResult>(
    ctx,
    open,
    {
      checkHeader: (cols) => checkHeader(cols, USER_CSV),
      fromCsv: (rec, line) => userFromCsv(rec, line),
      uniqueFields: (u) => ({ email: u.email, username: u.username, phone: u.phone }),
      existingConflict: (ex, line) => (onExisting === 'skip' ? undefined : `line ${line}: email "${ex.email}" already belongs to ${ex.username} (use --on-existing skip)`),
      writeBatch: (rows) => backend.importUsers(rows, onExisting),
    },
    (results) => {
      for (const r of results) counts[r.status]++;
    },
    'Importing users',
  );
  if (ctx.globals.json) ctx.json(counts);
  ctx.success(`Imported users: ${counts.created} created, ${counts.skipped} skipped, 0 failed.`);
};
