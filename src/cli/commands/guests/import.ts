import { closeSync, existsSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { invalid } from '../../../core/errors.js';
import { checkHeader, GUEST_CSV, guestFromCsv } from '../../../core/imports.js';
import type { GuestImportResult, GuestInput, OnExisting } from '../../../core/types.js';
import { toJsonLine } from '../../../output/json.js';
import { csvSource } from '../../csv.js';
import { runImport } from '../../import-runner.js';
import { oneTimeFlag, optDuration, optString, optTime } from '../../parse.js';
import type { Handler } from '../../spec.js';

/** Codes go to stdout as JSON Lines, or to a new 0600 file given by --out (never overwritten). */
export const run: Handler = async (ctx, { args, opts }) => {
  const onExisting = (opts.onExisting as OnExisting | undefined) ?? 'fail';
  const out = optString(opts, 'out');
  if (out && existsSync(out)) throw invalid('--out', `${out} already exists; codes are never written over a file, choose a new name`);
  const options = {
    ttl: optDuration(opts, 'ttl', '--ttl'),
    startsAt: optTime(opts, 'startsAt', '--starts-at', ctx.clock.now())?.toISOString(),
    oneTime: oneTimeFlag(opts),
  };
  const open = await csvSource(args[0]!, ctx.io.stdin);
  const backend = await ctx.backend();
  const counts = { created: 0, reissued: 0, skipped: 0 };
  // Opened exclusively before anything is written, so codes always have somewhere to go.
  const fd = out ? openSync(out, 'wx', 0o600) : undefined;
  let wrote = false;

  try {
    await runImport<GuestInput, GuestImportResult>(
      ctx,
      open,
      {
        checkHeader: (cols) => checkHeader(cols, GUEST_CSV),
        fromCsv: (rec, line) => {
          const g = guestFromCsv(rec, line);
          return { email: g.email, username: g.username, phone: g.phone, name: g.name, ttl: options.ttl, startsAt: options.startsAt, oneTime: options.oneTime };
        },
        uniqueFields: (g) => ({ email: g.email, username: g.username, phone: g.phone }),
        existingConflict: (ex, line) => {
          if (onExisting === 'skip') return undefined;
          if (onExisting === 'reissue' && ex.guest) return undefined;
          return `line ${line}: email "${ex.email}" already belongs to ${ex.guest ? 'guest' : 'user'} ${ex.username}${ex.guest ? ' (use --on-existing skip or reissue)' : ' (only guests can be re-issued)'}`;
        },
        writeBatch: (rows) => backend.importGuests(rows, onExisting),
      },
      (results) => {
        let text = '';
        for (const r of results) {
          counts[r.status]++;
          if (r.status !== 'skipped') text += toJsonLine(r.tac);
        }
        if (!text) return;
        wrote = true;
        if (fd !== undefined) writeSync(fd, text);
        else ctx.print(text);
      },
      'Importing guests',
    );
  } catch (e) {
    // Failed before any code was written (bad rows, policy): leave no empty file behind.
    if (fd !== undefined && !wrote) {
      closeSync(fd);
      unlinkSync(out!);
      throw e;
    }
    if (fd !== undefined) closeSync(fd);
    throw e;
  }
  if (fd !== undefined) closeSync(fd);
  ctx.success(`Imported guests: ${counts.created} created, ${counts.reissued} reissued, ${counts.skipped} skipped, 0 failed${out ? `; codes written to ${out}` : ''}.`);
};
