import type { Handler } from '../../spec.js';
import { optInt, optSince, optString } from '../../parse.js';
import { AUDIT_TABLE, auditRow } from '../../present.js';

/** --json prints JSON Lines: one event per line, easy to stream into a SIEM. */
export const run: Handler = async (ctx, { opts }) => {
  const events = await (await ctx.backend()).queryAudit({
    user: optString(opts, 'user'),
    action: optString(opts, 'action'),
    since: optSince(opts, 'since', '--since', ctx.clock.now())?.toISOString(),
    limit: optInt(opts, 'limit', '--limit', 1, 100_000),
  });
  if (ctx.globals.json) {
    for (const e of events) ctx.jsonLine(e);
    return;
  }
  ctx.table(AUDIT_TABLE, events.map(auditRow));
  if (ctx.tty && events.length === 0) ctx.info('No events match.');
};
