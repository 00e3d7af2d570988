import { addMinutes, iso } from '../clock.js';
import { invalid } from '../errors.js';
import { q, type Flow } from '../flow.js';
import type { Policy } from '../policy.js';
import { endedAt } from '../status.js';
import { AUDIT_ACTIONS, type AuditAction, type AuditEvent, type NewAuditEvent, type PurgeResult, type TacRecord } from '../types.js';
import { detectUserRef } from '../users.js';
import { appendAudit, checkLimit, ServiceCore } from './core.js';

/** Purging finished TACs, and reading and extending the audit trail (every part appends through core.ts). */
export class PurgeAuditPart extends ServiceCore {
  *purge(dryRun = false): Flow<PurgeResult> {
    return yield* this.transaction(() => purgeNow(this, dryRun));
  }

  *queryAudit(query: { user?: string; action?: string; since?: string; limit?: number } = {}): Flow<AuditEvent[]> {
    if (query.action !== undefined && !AUDIT_ACTIONS.includes(query.action as AuditAction)) {
      throw invalid('--action', `must be one of ${AUDIT_ACTIONS.join(', ')}`);
    }
    let userId: string | undefined;
    if (query.user !== undefined) {
      // A deleted user's events stay queryable by their id.
      userId = detectUserRef(query.user).kind === 'id' ? query.user.trim() : (yield* this.resolveUser(query.user)).id;
    }
    if (query.since !== undefined && Number.isNaN(Date.parse(query.since))) throw invalid('--since', 'is not a valid time');
    return yield* q(this.store.queryAudit({
      userId, action: query.action as AuditAction | undefined, since: query.since === undefined ? undefined : iso(new Date(query.since)),
      limit: checkLimit(query.limit, 100, 100_000),
    }));
  }

  /** Records an event by an outside layer (e.g. agent management on the server). */
  *recordEvent(e: Pick<NewAuditEvent, 'action' | 'details'> & Partial<NewAuditEvent>): Flow<void> {
    yield* appendAudit(this, e);
  }
}

function* purgeNow(s: ServiceCore, dryRun: boolean): Flow<PurgeResult> {
  const now = s.clock.now();
  const policy = yield* s.getPolicy();
  if (dryRun) return { purged: 0, dryRun: true, tacIds: (yield* purgeable(s, policy, now)).map((t) => t.id) };
  const ids = yield* purgeFinished(s, policy, now);
  return { purged: ids.length, dryRun: false, tacIds: ids };
}

function* purgeable(s: ServiceCore, policy: Policy, now: Date): Flow<TacRecord[]> {
  const cutoff = addMinutes(now, -policy.purgeAfterDays * 1440);
  return (yield* q(s.store.purgeCandidates(iso(cutoff)))).filter((t) => {
    const ended = endedAt(t, now);
    return ended !== null && Date.parse(ended) <= cutoff.getTime();
  });
}

/** Deletes the TACs finished longer than the policy keeps them; issuing calls it too (once per import batch). */
export function* purgeFinished(s: ServiceCore, policy: Policy, now: Date): Flow<string[]> {
  const candidates = (yield* purgeable(s, policy, now)).map((t) => t.id);
  // Only what this transaction deleted: replicas purging at once must not both count (and audit) the same TAC.
  const ids = candidates.length ? yield* q(s.store.deleteTacs(candidates)) : [];
  if (ids.length) {
    yield* appendAudit(s, { action: 'tac.purged', details: { count: ids.length, purgeAfterDays: policy.purgeAfterDays, tacIds: ids.slice(0, 100) } });
  }
  return ids;
}
