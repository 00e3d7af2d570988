import type { NewAuditEvent, TacRecord, User } from '../../src/core/types.js';

/** Rows for store tests, any engine. */
export const user = (over: Partial<User> = {}): User => ({
  id: 'usr_aaaaaaaaaaaaaaaa', username: 'alice', email: 'alice@example.com', phone: '+15551234567', name: 'Alice', guest: false,
  disabled: false, failedAttempts: 0, consecutiveFailures: 0, lockedUntil: null, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

export const tac = (over: Partial<TacRecord> = {}): TacRecord => ({
  id: 'tac_aaaaaaaaaaaaaaaa', userId: 'usr_aaaaaaaaaaaaaaaa', codeHash: 'ab'.repeat(32), caseSensitive: false,
  createdAt: '2026-01-01T00:00:00.000Z', startsAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T01:00:00.000Z', oneTime: true,
  useCount: 0, lastUsedAt: null, revokedAt: null, revokedReason: null, reason: null, createdBy: 'tester',
  ...over,
});

export const event = (over: Partial<NewAuditEvent> = {}): NewAuditEvent => ({
  at: '2026-01-01T00:00:00.000Z', actor: 'tester', action: 'user.created', userId: null, tacId: null, outcome: 'success', reason: null,
  details: {}, ...over,
});
