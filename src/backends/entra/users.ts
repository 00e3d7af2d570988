import { TacError } from '../../core/errors.js';
import type { UserDetailsView, UserSummaryView, UserView } from '../../core/types.js';
import { PERMISSIONS, type EntraApi } from './api.js';

/**
 * A user as Graph v1.0 returns it with tac's $select (resources/user.md). accountEnabled and
 * userType are not in Graph's default property set, so they are always asked for.
 */
export interface EntraUser {
  id: string;
  displayName?: string | null;
  userPrincipalName?: string | null;
  mail?: string | null;
  mobilePhone?: string | null;
  businessPhones?: string[] | null;
  accountEnabled?: boolean | null;
  userType?: string | null;
  createdDateTime?: string | null;
}

export const USER_SELECT = 'id,displayName,userPrincipalName,mail,mobilePhone,businessPhones,accountEnabled,userType,createdDateTime';

/** tac's shape; what Entra does not keep for tac (failure counters, lock, last change) is null. */
export function toUserView(u: EntraUser): UserView {
  return {
    id: u.id,
    username: u.userPrincipalName ?? null,
    email: u.mail ?? null,
    phone: u.mobilePhone ?? u.businessPhones?.[0] ?? null,
    name: u.displayName ?? null,
    guest: u.userType === 'Guest' ? true : u.userType === 'Member' ? false : null,
    disabled: u.accountEnabled === false,
    failedAttempts: null,
    consecutiveFailures: null,
    lockedUntil: null,
    createdAt: u.createdDateTime ?? null,
    updatedAt: null,
  };
}

export const toDetails = (u: EntraUser): UserDetailsView => ({ ...toUserView(u), locked: null, currentTac: null });

export const toSummary = (u: EntraUser): UserSummaryView => {
  const v = toUserView(u);
  return { id: v.id, username: v.username, email: v.email, name: v.name, guest: v.guest };
};

/** An OData string literal: a quote inside is doubled (concepts/query-parameters.md, "Escaping single quotes"). */
export const odataString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const seg = encodeURIComponent;

/**
 * The user a USER argument names: an object id or a userPrincipalName (GET /users/{id | UPN}); an
 * email that is no UPN by `mail eq`; a bare name ("alice") as the start of a UPN ("alice@…").
 * The last two must match one user only.
 */
export async function findUser(api: EntraApi, ref: string): Promise<EntraUser> {
  const r = ref.trim();
  const notFound = `user "${r.slice(0, 100)}" not found in entra`;
  if (!r) throw new TacError('invalid_value', 'USER: is required (an object id, a userPrincipalName or an email)', { field: 'user' });
  const byKey = (key: string) => api.call<EntraUser>('GET', `v1.0/users/${seg(key)}?$select=${USER_SELECT}`, 'looking up the user', undefined, { permission: PERMISSIONS.users, notFound });
  const one = async (filter: string): Promise<EntraUser> => {
    const found = await searchUsers(api, filter, 2);
    if (found.length === 1) return found[0]!;
    if (found.length === 0) throw new TacError('not_found', notFound);
    throw new TacError('invalid_value', `USER: several users in entra match "${r.slice(0, 100)}"; give the object id or the full userPrincipalName`, { field: 'user' });
  };
  if (GUID.test(r)) return byKey(r);
  if (r.includes('@')) {
    try {
      return await byKey(r);
    } catch (e) {
      if ((e as TacError).code !== 'not_found') throw e;
      return one(`mail eq ${odataString(r)}`);
    }
  }
  return one(`startswith(userPrincipalName,${odataString(`${r}@`)})`);
}

/** GET /v1.0/users?$filter=…&$select=…&$top=… (user-list.md; $top is at most 999). */
export async function searchUsers(api: EntraApi, filter: string | undefined, limit: number): Promise<EntraUser[]> {
  const q = new URLSearchParams({ ...(filter ? { $filter: filter } : {}), $select: USER_SELECT, $top: String(Math.min(Math.max(limit, 1), 999)) });
  const found = await api.call<{ value: EntraUser[] }>('GET', `v1.0/users?${q.toString()}`, 'searching users', undefined, { permission: PERMISSIONS.users });
  return found.value;
}

/**
 * `users search TERM`: a whole email by `mail eq` or `userPrincipalName eq`; anything else as the
 * start of the display name, UPN or mail (startswith, which Graph evaluates without advanced queries).
 */
export function searchFilter(term: string): string | undefined {
  const t = term.trim();
  if (!t) return undefined;
  const s = odataString(t);
  if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(t)) return `mail eq ${s} or userPrincipalName eq ${s}`;
  return `startswith(displayName,${s}) or startswith(userPrincipalName,${s}) or startswith(mail,${s})`;
}
