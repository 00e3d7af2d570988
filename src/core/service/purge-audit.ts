import { addMinutes, iso } from '../clock.js';
import { invalid } from '../errors.js';
import type { Policy } from '../policy.js';
import { endedAt } from '../status.js';
import { AUDIT_ACTIONS, type AuditAction, type AuditEvent, type NewAuditEvent, type PurgeResult, type TacRecord } from '../types.js';
import { detectUserRef } from '../users.js';
import { appendAudit, checkLimit, ServiceCore } from './core.js';

/** Purging finished TACs, and reading and extending the audit trail (every part appends through core.ts). */
export class PurgeAuditPart extends ServiceCore {
  purge(dryRun = false): PurgeResult {
    return this.store.transaction(() => {
      const now = this.clock.now();
      const policy = this.getPolicy();
      if (dryRun) return { purged: 0, dryRun: true, tacIds: purgeable(this, policy, now).map((t) => t.id) };
      const ids = purgeFinished(this, policy, now);
      return { purged: ids.length, dryRun: false, tacIds: ids };
    });
  }

  queryAudit(q: { user?: string; action?: string; since?: string; limit?: number } = {}): AuditEvent[] {
    if (q.action !== undefined && !AUDIT_ACTIONS.includes(q.action as AuditAction)) {
      throw invalid('--action', `must be one of ${AUDIT_ACTIONS.join(', ')}`);
    }
    let userId: string | undefined;
    if (q.user !== undefined) {
      // A deleted user's events stay queryable by their id.
      userId = detectUserRef(q.user).kind === 'id' ? q.user.trim() : this.resolveUser(q.user).id;
    }
    if (q.since !== undefined && Number.isNaN(Date.parse(q.since))) throw invalid('--since', 'is not a valid time');
    return this.store.queryAudit({
      userId, action: q.action as AuditAction | undefined, since: q.since === undefined ? undefined : iso(new Date(q.since)),
      limit: checkLimit(q.limit, 100, 100_000),
    });
  }

  /** Records an event by an outside layer (e.g. agent management on the server). */
  recordEvent(e: Pick<NewAuditEvent, 'action' | 'details'> & Partial<NewAuditEvent>): void {
    appendAudit(this, e);
  }
}

function purgeable(s: ServiceCore, policy: Policy, now: Date): TacRecord[] {
  const cutoff = addMinutes(now, -policy.purgeAfterDays * 1440);
  return s.store.purgeCandidates(iso(cutoff)).filter((t) => {
    const ended = endedAt(t, now);
    return ended !== null && Date.parse(ended) <= cutoff.getTime();
  });
}

/** Deletes the TACs finished longer than the policy keeps them; issuing calls it too (once per import batch). */
export function purgeFinished(s: ServiceCore, policy: Policy, now: Date): string[] {
  const ids = purgeable(s, policy, now).map((t) => t.id);
  if (ids.length) {
    s.store.deleteTacs(ids);
    appendAudit(s, { action: 'tac.purged', details: { count: ids.length, purgeAfterDays: policy.purgeAfterDays, tacIds: ids.slice(0, 100) } });
  }
  return ids;
}
