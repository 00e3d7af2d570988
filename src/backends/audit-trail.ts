import { appendFileSync, chmodSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { invalid } from '../core/errors.js';
import { AUDIT_ACTIONS, type AuditAction, type AuditEvent } from '../core/types.js';
import type { AuditFilter } from './backend.js';

/** One line of the trail. Never a code: only who did what, to whom, how identity was checked. */
export interface AuditRow {
  at: string;
  actor: string;
  provider: string;
  server: string;
  action: AuditAction;
  outcome: 'success' | 'failure';
  /** The provider's user id, or the USER given when none was found. */
  user: string | null;
  tacId: string | null;
  verifiedBy: string | null;
  reason: string | null;
  details: Record<string, unknown>;
}

/**
 * What tac did on an identity provider, kept by tac itself (the provider's own log is elsewhere
 * and may not record who at the desk acted): JSON Lines, appended, mode 0600 in a 0700 directory.
 * `tac audit` reads it back as the same AuditEvent shape as the local and server trails.
 */
export class AuditTrail {
  constructor(readonly path: string) {}

  append(row: AuditRow): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    // After a torn last line (a crash mid-append) start a new one, so this row stays readable.
    appendFileSync(this.path, `${this.endsMidLine() ? '\n' : ''}${JSON.stringify(row)}\n`, { mode: 0o600 });
    chmodSync(this.path, 0o600); // a file made by hand or another umask is made private again
  }

  private endsMidLine(): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return false;
    }
    try {
      const size = fstatSync(fd).size;
      const last = Buffer.alloc(1);
      return size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    } finally {
      closeSync(fd);
    }
  }

  /** Newest first, like the database's trail; ids count the readable rows in the file (1 = oldest). */
  query(q: AuditFilter): AuditEvent[] {
    if (q.action !== undefined && !AUDIT_ACTIONS.includes(q.action as AuditAction)) throw invalid('--action', `must be one of ${AUDIT_ACTIONS.join(', ')}`);
    if (q.since !== undefined && Number.isNaN(Date.parse(q.since))) throw invalid('--since', 'is not a valid time');
    const since = q.since === undefined ? undefined : Date.parse(q.since);
    const events = this.read().map(toEvent).filter((e) =>
      (q.action === undefined || e.action === q.action)
      && (q.user === undefined || e.userId === q.user.trim())
      && (since === undefined || Date.parse(e.at) >= since));
    return events.reverse().slice(0, q.limit ?? 100);
  }

  private read(): AuditRow[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    // A torn last line (a crash mid-append) is skipped rather than failing every later query.
    return text.split('\n').flatMap((line) => {
      try {
        return line ? [JSON.parse(line) as AuditRow] : [];
      } catch {
        return [];
      }
    });
  }
}

const toEvent = (r: AuditRow, i: number): AuditEvent => ({
  id: i + 1, at: r.at, actor: r.actor, action: r.action, userId: r.user, tacId: r.tacId, outcome: r.outcome, reason: r.reason,
  details: { provider: r.provider, server: r.server, ...(r.verifiedBy ? { verifiedBy: r.verifiedBy } : {}), ...r.details },
});
