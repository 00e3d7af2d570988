import type { NewAuditEvent, TacRecord, User } from '../core/types.js';

/** The tables' column names by field, and row conversion, shared by the SQLite and PostgreSQL stores. */

export type Row = Record<string, unknown>;

export const USER_COLUMNS: Record<keyof User, string> = {
  id: 'id', username: 'username', email: 'email', phone: 'phone', name: 'name', guest: 'guest', disabled: 'disabled',
  failedAttempts: 'failed_attempts', consecutiveFailures: 'consecutive_failures', lockedUntil: 'locked_until', createdAt: 'created_at', updatedAt: 'updated_at',
};
export const TAC_COLUMNS: Record<keyof TacRecord, string> = {
  id: 'id', userId: 'user_id', codeHash: 'code_hash', caseSensitive: 'case_sensitive', createdAt: 'created_at',
  startsAt: 'starts_at', expiresAt: 'expires_at', oneTime: 'one_time', useCount: 'use_count', lastUsedAt: 'last_used_at',
  revokedAt: 'revoked_at', revokedReason: 'revoked_reason', reason: 'reason', createdBy: 'created_by',
};
export const BOOLEAN_KEYS = new Set(['guest', 'disabled', 'caseSensitive', 'oneTime']);
export const AUDIT_COLUMNS: Record<keyof NewAuditEvent, string> = {
  at: 'at', actor: 'actor', action: 'action', userId: 'user_id', tacId: 'tac_id', outcome: 'outcome', reason: 'reason', details: 'details',
};
/** A record from a row: booleans are 0/1 in SQLite, true/false in PostgreSQL. */
export function fromRow<T>(columns: Record<string, string>, row: Row | undefined): T | undefined {
  if (!row) return undefined;
  const { keys, cols, bool } = columnPlan(columns);
  const out: Row = {};
  for (let i = 0; i < keys.length; i++) {
    const v = row[cols[i]!];
    out[keys[i]!] = bool[i] ? v === 1 || v === true : v;
  }
  return out as T;
}

/** Each column map's fields, columns and boolean flags, worked out once (every verify reads a user and its TACs). */
const plans = new WeakMap<Record<string, string>, { keys: string[]; cols: string[]; bool: boolean[] }>();
export function columnPlan(columns: Record<string, string>): { keys: string[]; cols: string[]; bool: boolean[] } {
  let plan = plans.get(columns);
  if (!plan) {
    const entries = Object.entries(columns);
    plans.set(columns, (plan = { keys: entries.map(([k]) => k), cols: entries.map(([, c]) => c), bool: entries.map(([k]) => BOOLEAN_KEYS.has(k)) }));
  }
  return plan;
}
