import { addMinutes, iso } from '../clock.js';
import { generateCode, normalizeCode } from '../codes.js';
import { truncate } from '../duration.js';
import { invalid, notFound, TacError } from '../errors.js';
import { q, type Flow } from '../flow.js';
import { checkTtl, isCaseSensitive, TTL_CEILING_MINUTES, type Policy } from '../policy.js';
import { deriveStatus, isLive, toTac } from '../status.js';
import {
  TAC_STATUSES, VERIFICATION_METHODS,
  type IssuedTac, type IssueInput, type ListedTac, type RevokeReason, type Tac, type TacListQuery, type TacRecord, type User, type UserSummary,
} from '../types.js';
import { newId, normalizeText, summarize } from '../users.js';
import { appendAudit, checkLimit, ServiceCore, stamp, type AuditInput } from './core.js';
import { purgeFinished } from './purge-audit.js';

const MAX_REASON = 500;
/** TACs read per query when listing every user's, after the first page. */
const TAC_PAGE = 500;

/** Issuing, listing and revoking TACs (checking a code is verification.ts). */
export class TacsPart extends ServiceCore {
  /** An agent issues a code to a caller: the policy may require them to attest how they verified who is calling. */
  *issueTac(input: IssueInput): Flow<IssuedTac> {
    return yield* this.transaction(() => issueChecked(this, input));
  }

  *listTacs(query: TacListQuery = {}): Flow<ListedTac[]> {
    const status = query.status ?? 'all';
    if (status !== 'all' && !TAC_STATUSES.includes(status)) throw invalid('--status', `must be one of ${[...TAC_STATUSES, 'all'].join(', ')}`);
    const limit = checkLimit(query.limit, 50);
    const userId = query.user === undefined ? undefined : (yield* this.resolveUser(query.user)).id;
    const now = this.clock.now();
    const users = new Map<string, UserSummary | null>();
    const out: ListedTac[] = [];
    // One user's TACs are a handful; all TACs are read a page at a time, only as far as needed.
    let after: number | undefined;
    let last = false;
    while (!last && out.length < limit) {
      let recs: Iterable<TacRecord>;
      if (userId !== undefined) {
        recs = yield* q(this.store.iterateTacs({ userId }));
        last = true;
      } else {
        // The first page is what the list shows when every TAC matches: no row is read in vain.
        const page = yield* q(this.store.tacPage(after === undefined ? limit : TAC_PAGE, after));
        recs = page.tacs;
        after = page.next;
        last = after === undefined;
      }
      for (const rec of recs) {
        const tac = toTac(rec, now);
        if (status === 'all' || tac.status === status) {
          if (!users.has(rec.userId)) {
            const u = yield* q(this.store.getUser(rec.userId));
            users.set(rec.userId, u ? summarize(u) : null);
          }
          out.push({ ...tac, user: users.get(rec.userId)! });
        }
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  *getTac(id: string): Flow<Tac> {
    const rec = yield* q(this.store.getTac(String(id ?? '').trim()));
    if (!rec) throw notFound(`TAC "${truncate(id)}"`);
    return toTac(rec, this.clock.now());
  }

  /** Revokes one TAC. Revoking a TAC that is no longer live changes nothing and is not an error. */
  *revokeTac(id: string): Flow<{ tac: Tac; changed: boolean }> {
    return yield* this.transaction(() => revokeOne(this, id));
  }

  *revokeUserTacs(ref: string): Flow<Tac[]> {
    return yield* this.transaction(() => revokeUserTacsNow(this, ref));
  }
}

function* issueChecked(s: ServiceCore, input: IssueInput): Flow<IssuedTac> {
  const user = yield* s.resolveUser(input.user);
  if ((yield* s.getPolicy()).requireAttestation && input.verifiedBy === undefined) {
    throw new TacError('invalid_value', `--verified-by: the policy requires stating how the caller's identity was verified: one of ${VERIFICATION_METHODS.join(', ')}`, { field: '--verified-by' });
  }
  return yield* issueFor(s, user, input);
}

function* revokeOne(s: ServiceCore, id: string): Flow<{ tac: Tac; changed: boolean }> {
  const now = s.clock.now();
  const rec = yield* q(s.store.getTac(String(id ?? '').trim()));
  if (!rec) throw notFound(`TAC "${truncate(id)}"`);
  if (!isLive(deriveStatus(rec, now))) return { tac: toTac(rec, now), changed: false };
  return { tac: yield* revoke(s, rec, 'deleted', now), changed: true };
}

function* revokeUserTacsNow(s: ServiceCore, ref: string): Flow<Tac[]> {
  return yield* revokeLive(s, (yield* s.resolveUser(ref)).id, 'deleted');
}

/** Issues a TAC to an existing user. `purged`: see issueWith. */
export function* issueFor(s: ServiceCore, user: User, input: Omit<IssueInput, 'user'>, { purged = false } = {}): Flow<IssuedTac> {
  const policy = yield* s.getPolicy();
  const now = s.clock.now();
  return yield* issueWith(s, policy, user, issueTerms(policy, input, now, user), now, { purged, newUser: false });
}

/**
 * Stores a TAC on checked terms. `purged`: the caller already purged finished TACs in this
 * transaction (a batch purges once, not per row). `newUser`: the user was created in this
 * transaction, so has no TAC to replace.
 */
export function* issueWith(s: ServiceCore, policy: Policy, user: User, terms: IssueTerms, now: Date, { purged, newUser }: { purged: boolean; newUser: boolean }): Flow<IssuedTac> {
  if (!purged) yield* purgeFinished(s, policy, now);
  if (!newUser) yield* revokeLive(s, user.id, 'replaced');
  const { record, event, issued } = newTac(s, policy, user, terms, now);
  yield* q(s.store.insertTac(record));
  yield* appendAudit(s, event);
  return issued;
}

export type IssueTerms = ReturnType<typeof issueTerms>;

/** Checks the terms of a new TAC against the policy (for `user`: not disabled), writing nothing. */
export function issueTerms(policy: Policy, input: Omit<IssueInput, 'user'>, now: Date, user?: User) {
  if (!policy.enabled) throw new TacError('policy_violation', 'TACs are disabled by policy (an admin can run: tac policy set --enable)');
  if (user?.disabled) throw new TacError('policy_violation', `user ${user.username} is disabled and cannot receive a TAC (tac users enable ${user.username})`);
  const ttl = input.ttl ?? policy.defaultTtl;
  if (!Number.isSafeInteger(ttl) || ttl <= 0) throw invalid('--ttl', 'must be a positive number of minutes');
  checkTtl(policy, ttl);
  const startsAt = checkStart(input.startsAt, now);
  const oneTime = input.oneTime ?? policy.oneTimeDefault;
  if (!oneTime && !policy.multiUseAllowed) {
    throw new TacError('policy_violation', '--multi-use: multi-use codes are not allowed by policy (tac policy set --multi-use-allowed)');
  }
  const reason = normalizeText('--reason', input.reason, MAX_REASON);
  const verificationNote = normalizeText('--verification-note', input.verificationNote, MAX_REASON);
  if (input.verifiedBy !== undefined && !VERIFICATION_METHODS.includes(input.verifiedBy)) {
    throw invalid('--verified-by', `must be one of ${VERIFICATION_METHODS.join(', ')}`);
  }
  return { ttl, startsAt, oneTime, reason, verificationNote, verifiedBy: input.verifiedBy };
}

/** Draws a code and builds its record, its `tac.generated` event and what is shown once. Writes nothing. */
export function newTac(s: ServiceCore, policy: Policy, user: User, terms: IssueTerms, now: Date) {
  const { ttl, startsAt, oneTime, reason, verificationNote, verifiedBy } = terms;
  const code = generateCode(policy, s.random);
  const caseSensitive = isCaseSensitive(policy);
  const record: TacRecord = {
    id: newId('tac', now),
    userId: user.id,
    codeHash: s.hasher.hash(user.id, normalizeCode(code, caseSensitive)),
    caseSensitive,
    createdAt: stamp(now),
    startsAt: stamp(startsAt),
    expiresAt: stamp(addMinutes(startsAt, ttl)),
    oneTime,
    useCount: 0,
    lastUsedAt: null,
    revokedAt: null,
    revokedReason: null,
    reason,
    createdBy: s.actor,
  };
  const event: AuditInput = {
    action: 'tac.generated', userId: user.id, tacId: record.id,
    details: {
      ttl, oneTime, startsAt: record.startsAt, expiresAt: record.expiresAt, reason,
      ...(verifiedBy ? { verifiedBy } : {}),
      ...(verificationNote ? { verificationNote } : {}),
    },
  };
  const issued: IssuedTac = {
    id: record.id, code, status: deriveStatus(record, now), startsAt: record.startsAt, expiresAt: record.expiresAt,
    oneTime, user: summarize(user),
  };
  return { record, event, issued };
}

function checkStart(startsAt: string | undefined, now: Date): Date {
  if (startsAt === undefined) return now;
  const d = new Date(startsAt);
  if (Number.isNaN(d.getTime())) throw invalid('--starts-at', 'is not a valid time');
  // A minute of grace for clocks and for "now" typed as an absolute time.
  if (d.getTime() < now.getTime() - 60_000) throw invalid('--starts-at', 'must not be in the past');
  if (d.getTime() > addMinutes(now, TTL_CEILING_MINUTES).getTime()) throw invalid('--starts-at', 'must be within 30 days');
  return d.getTime() < now.getTime() ? now : d;
}

/** Revokes every live TAC of a user: a new code replaces them, disabling or deleting the user ends them. */
export function* revokeLive(s: ServiceCore, userId: string, reason: RevokeReason): Flow<Tac[]> {
  const now = s.clock.now();
  const revoked: Tac[] = [];
  for (const t of [...yield* q(s.store.iterateTacs({ userId }))]) {
    if (isLive(deriveStatus(t, now))) revoked.push(yield* revoke(s, t, reason, now));
  }
  return revoked;
}

function* revoke(s: ServiceCore, rec: TacRecord, reason: RevokeReason, now: Date): Flow<Tac> {
  const patch = { revokedAt: iso(now), revokedReason: reason };
  yield* q(s.store.updateTac(rec.id, patch));
  yield* appendAudit(s, { action: 'tac.revoked', userId: rec.userId, tacId: rec.id, reason, details: {} });
  return toTac({ ...rec, ...patch }, now);
}
