import { describe, expect, it } from 'vitest';
import { deriveStatus, endedAt, isLive, toTac } from '../../src/core/status.js';
import type { TacRecord } from '../../src/core/types.js';

const base: TacRecord = {
  id: 'tac_aaaaaaaaaaaaaaaa',
  userId: 'usr_aaaaaaaaaaaaaaaa',
  codeHash: 'f'.repeat(64),
  caseSensitive: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  startsAt: '2026-01-01T01:00:00.000Z',
  expiresAt: '2026-01-01T02:00:00.000Z',
  oneTime: true,
  useCount: 0,
  lastUsedAt: null,
  revokedAt: null,
  revokedReason: null,
  reason: null,
  createdBy: 'tester',
};
const at = (s: string) => new Date(s);

describe('deriveStatus', () => {
  it('pending before start, active from start, expired from expiry', () => {
    expect(deriveStatus(base, at('2026-01-01T00:59:59.999Z'))).toBe('pending');
    expect(deriveStatus(base, at('2026-01-01T01:00:00.000Z'))).toBe('active');
    expect(deriveStatus(base, at('2026-01-01T01:59:59.999Z'))).toBe('active');
    expect(deriveStatus(base, at('2026-01-01T02:00:00.000Z'))).toBe('expired');
  });

  it('a used one-time code stays used, a revoked code stays revoked, after expiry', () => {
    const used = { ...base, useCount: 1, lastUsedAt: '2026-01-01T01:10:00.000Z' };
    expect(deriveStatus(used, at('2026-01-01T01:30:00.000Z'))).toBe('used');
    expect(deriveStatus(used, at('2026-01-05T00:00:00.000Z'))).toBe('used');
    const revoked = { ...base, revokedAt: '2026-01-01T00:30:00.000Z', revokedReason: 'replaced' as const };
    expect(deriveStatus(revoked, at('2026-01-01T00:31:00.000Z'))).toBe('revoked');
    expect(deriveStatus(revoked, at('2026-01-05T00:00:00.000Z'))).toBe('revoked');
  });

  it('a multi-use code stays active while used', () => {
    const multi = { ...base, oneTime: false, useCount: 5, lastUsedAt: '2026-01-01T01:10:00.000Z' };
    expect(deriveStatus(multi, at('2026-01-01T01:30:00.000Z'))).toBe('active');
    expect(deriveStatus(multi, at('2026-01-01T02:30:00.000Z'))).toBe('expired');
  });
});

describe('endedAt / isLive / toTac', () => {
  it('gives the end time of finished TACs only', () => {
    expect(endedAt(base, at('2026-01-01T00:00:00.000Z'))).toBeNull();
    expect(endedAt(base, at('2026-01-01T01:30:00.000Z'))).toBeNull();
    expect(endedAt(base, at('2026-01-01T03:00:00.000Z'))).toBe(base.expiresAt);
    expect(endedAt({ ...base, useCount: 1, lastUsedAt: '2026-01-01T01:10:00.000Z' }, at('2026-01-01T03:00:00.000Z'))).toBe('2026-01-01T01:10:00.000Z');
    expect(endedAt({ ...base, revokedAt: '2026-01-01T00:30:00.000Z', revokedReason: 'deleted' }, at('2026-01-01T03:00:00.000Z'))).toBe('2026-01-01T00:30:00.000Z');
  });

  it('pending and active are live; the rest are not', () => {
    expect(isLive('pending')).toBe(true);
    expect(isLive('active')).toBe(true);
    expect(isLive('expired')).toBe(false);
    expect(isLive('used')).toBe(false);
    expect(isLive('revoked')).toBe(false);
  });

  it('toTac drops the hash and the case flag and derives the status', () => {
    const t = toTac(base, at('2026-01-01T01:30:00.000Z'));
    expect(t).not.toHaveProperty('codeHash');
    expect(t).not.toHaveProperty('caseSensitive');
    expect(JSON.stringify(t)).not.toContain(base.codeHash);
    expect(t.status).toBe('active');
    expect(Object.keys(t).sort()).toEqual([
      'createdAt', 'createdBy', 'expiresAt', 'id', 'lastUsedAt', 'oneTime', 'reason', 'revokedAt', 'revokedReason', 'startsAt',
      'status', 'useCount', 'userId',
    ]);
  });
});
