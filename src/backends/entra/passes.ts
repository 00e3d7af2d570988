import type { ListedTac, TacStatus, UserSummaryView } from '../../core/types.js';
import { tacId } from '../provider-ids.js';

/**
 * A Temporary Access Pass as Graph v1.0 returns it (resources/temporaryaccesspassauthenticationmethod.md).
 * `temporaryAccessPass` (the code) is only in the 201 of its creation and null on every read.
 */
export interface EntraPass {
  id: string;
  temporaryAccessPass?: string | null;
  createdDateTime?: string | null;
  startDateTime?: string | null;
  lifetimeInMinutes?: number | null;
  isUsableOnce?: boolean | null;
  isUsable?: boolean | null;
  methodUsabilityReason?: string | null;
}

/**
 * tac's status from Graph's usability reason. DisabledByPolicy (the method is off in the tenant,
 * or the user is not in its targets) means the code does not work: shown as revoked. A reason Graph
 * may add later falls back to the pass's times.
 */
export function passStatus(p: EntraPass, now: number): TacStatus {
  switch (p.methodUsabilityReason) {
    case 'EnabledByPolicy':
      return 'active';
    case 'NotYetValid':
      return 'pending';
    case 'Expired':
      return 'expired';
    case 'OneTimeUsed':
      return 'used';
    case 'DisabledByPolicy':
      return 'revoked';
    default: {
      const { startsAt, expiresAt } = passTimes(p);
      if (expiresAt !== null && now >= Date.parse(expiresAt)) return 'expired';
      return startsAt !== null && now < Date.parse(startsAt) ? 'pending' : 'active';
    }
  }
}

/** Start (creation when no start was set) and end (start + lifetime), ISO; null where Graph gave none. */
export function passTimes(p: EntraPass): { startsAt: string | null; expiresAt: string | null } {
  const start = p.startDateTime ?? p.createdDateTime ?? null;
  const startMs = start === null ? NaN : Date.parse(start);
  if (Number.isNaN(startMs)) return { startsAt: null, expiresAt: null };
  return {
    startsAt: new Date(startMs).toISOString(),
    expiresAt: typeof p.lifetimeInMinutes === 'number' ? new Date(startMs + p.lifetimeInMinutes * 60_000).toISOString() : null,
  };
}

/**
 * A pass in tac's listing shape, id `${userId}:${passId}`. Graph does not count uses, say who
 * created a pass or why: those are null (JSON keeps null, the table leaves them empty).
 */
export function toListedTac(userId: string, p: EntraPass, user: UserSummaryView, now: number): ListedTac {
  const { startsAt, expiresAt } = passTimes(p);
  const tac = {
    id: tacId(userId, p.id),
    userId,
    status: passStatus(p, now),
    createdAt: p.createdDateTime ?? null,
    startsAt,
    expiresAt,
    oneTime: p.isUsableOnce ?? null,
    useCount: null,
    lastUsedAt: null,
    revokedAt: null,
    revokedReason: null,
    reason: null,
    createdBy: null,
    user,
  };
  // The engine's Tac has no nulls for these; the README's JSON shape allows them for providers.
  return tac as unknown as ListedTac;
}
