import { TacError } from '../../core/errors.js';
import type { UserDetailsView, UserSummaryView, UserView } from '../../core/types.js';
import { detectUserRef } from '../../core/users.js';
import type { OktaApi } from './api.js';

/**
 * An Okta user as GET /api/v1/users/{id} and GET /api/v1/users return it (okta-management-openapi-spec
 * dist/current/management-minimal.yaml, examples user-example; status as in its UserStatus enum).
 */
export interface OktaUser {
  id: string;
  status?: string;
  created?: string;
  lastUpdated?: string;
  profile?: {
    login?: string; email?: string; firstName?: string | null; lastName?: string | null; displayName?: string | null;
    mobilePhone?: string | null; primaryPhone?: string | null;
  };
}

/** Statuses in which Okta lets nobody sign in, so tac treats the user as disabled (no TAC is issued). */
const DISABLED = new Set(['SUSPENDED', 'DEPROVISIONED']);
/** Statuses that cannot receive a TAC, with why, for the one-line refusal. */
const NO_TAC: Record<string, string> = { SUSPENDED: 'suspended', DEPROVISIONED: 'deactivated (deprovisioned)' };

/** tac's shape; what Okta does not have (guest flag, failure counters, lock expiry) is null. */
export function toUserView(u: OktaUser): UserView {
  const p = u.profile ?? {};
  const name = p.displayName || [p.firstName, p.lastName].filter(Boolean).join(' ');
  return {
    id: u.id,
    username: p.login ?? null,
    email: p.email ?? null,
    phone: p.mobilePhone || p.primaryPhone || null,
    name: name || null,
    guest: null,
    disabled: DISABLED.has(u.status ?? ''),
    failedAttempts: null,
    consecutiveFailures: null,
    // LOCKED_OUT says locked, not until when (the org's lockout policy decides): `locked` carries it.
    lockedUntil: null,
    createdAt: u.created ?? null,
    updatedAt: u.lastUpdated ?? null,
  };
}

export const toDetails = (u: OktaUser, currentTac: UserDetailsView['currentTac']): UserDetailsView => ({
  ...toUserView(u), locked: u.status === undefined ? null : u.status === 'LOCKED_OUT', currentTac,
});

export const toSummary = (u: OktaUser): UserSummaryView => {
  const v = toUserView(u);
  return { id: v.id, username: v.username, email: v.email, name: v.name, guest: null };
};

/** Refuses, before any call, a user Okta would not let sign in with a TAC (exit 5). */
export function checkCanReceive(u: OktaUser, ref: string): void {
  const why = NO_TAC[u.status ?? ''];
  if (why) throw new TacError('policy_violation', `user "${ref.trim().slice(0, 100)}" is ${why} in okta and cannot receive a TAC`);
}

const seg = encodeURIComponent;
/** A search expression's string literal: Okta's filter syntax quotes with "…" and escapes \ and ". */
const quoted = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/**
 * The user a USER argument names. GET /api/v1/users/{id or login} takes an Okta id, a login or its
 * short name; an email that is not a login is then searched as profile.email, a phone number as
 * profile.mobilePhone (Okta stores phones as typed, so only an exact match is found).
 */
export async function findUser(api: OktaApi, ref: string): Promise<OktaUser> {
  const r = detectUserRef(ref);
  const raw = ref.trim();
  const notFound = `user "${raw.slice(0, 100)}" not found in okta`;
  const search = async (expr: string) => {
    const found = await api.call<OktaUser[]>('GET', `api/v1/users?search=${seg(expr)}&limit=2`, 'looking up the user', undefined, { scope: 'okta.users.read' });
    if (found.length === 1) return found[0]!;
    throw new TacError(found.length ? 'invalid_value' : 'not_found', found.length ? `"${raw.slice(0, 100)}" names more than one okta user; give the user's login or id` : notFound);
  };
  if (r.kind === 'phone') return search(`profile.mobilePhone eq ${quoted(r.value)}`);
  try {
    return await api.call<OktaUser>('GET', `api/v1/users/${seg(raw)}`, 'looking up the user', undefined, { notFound, scope: 'okta.users.read' });
  } catch (e) {
    if (r.kind !== 'email' || (e as TacError).code !== 'not_found') throw e;
    return search(`profile.email eq ${quoted(r.value)}`);
  }
}

/**
 * `users search TERM`: an email by `search=profile.email eq "…"` (exact), anything else by `q=`
 * (Okta's prefix match on first name, last name and email). Empty TERM lists users. `limit` is at most 200 per page.
 */
export function searchQuery(term: string, limit: number): string {
  const t = term.trim();
  const page = `limit=${Math.min(limit, 200)}`;
  if (!t) return page;
  if (detectUserRef(t).kind === 'email') return `search=${seg(`profile.email eq ${quoted(t.toLowerCase())}`)}&${page}`;
  return `q=${seg(t)}&${page}`;
}
