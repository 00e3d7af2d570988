import type { Tac, TacRecord, TacStatus } from './types.js';

/** Status is derived from timestamps at read time, so it is never stale. Order matters: a revoked
 * or used code stays so after it would have expired. */
export function deriveStatus(t: TacRecord, now: Date): TacStatus {
  if (t.revokedAt) return 'revoked';
  if (t.oneTime && t.useCount > 0) return 'used';
  const ms = now.getTime();
  if (ms >= Date.parse(t.expiresAt)) return 'expired';
  if (ms < Date.parse(t.startsAt)) return 'pending';
  return 'active';
}

/** When a finished TAC finished (for purge age); null while it is still pending or active. */
export function endedAt(t: TacRecord, now: Date): string | null {
  switch (deriveStatus(t, now)) {
    case 'revoked':
      return t.revokedAt;
    case 'used':
      return t.lastUsedAt;
    case 'expired':
      return t.expiresAt;
    default:
      return null;
  }
}

export function toTac(t: TacRecord, now: Date): Tac {
  return {
    id: t.id,
    userId: t.userId,
    status: deriveStatus(t, now),
    createdAt: t.createdAt,
    startsAt: t.startsAt,
    expiresAt: t.expiresAt,
    oneTime: t.oneTime,
    useCount: t.useCount,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
    revokedReason: t.revokedReason,
    reason: t.reason,
    createdBy: t.createdBy,
  };
}

export const isLive = (s: TacStatus): boolean => s === 'pending' || s === 'active';
