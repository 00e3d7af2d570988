import { detectUserRef } from '../../core/users.js';
import type { UserDetailsView, UserSummaryView, UserView } from '../../core/types.js';
import type { MosaicApi } from './api.js';

/**
 * A Mosaic user (ApiUser) as GET /cis/v1/users/... returns it inside `result` (Transmit: Users
 * API, /openapi/user/user.openapi; its OpenAPI file is mirrored in api-evangelist/transmit-security
 * openapi/transmit-security-identity-management-openapi.yml): identifiers are objects with a
 * `value`, `status` is Active, Disabled or Pending, times are epoch ms.
 */
export interface MosaicUser {
  user_id: string;
  username?: string;
  email?: { value: string; email_verified?: boolean };
  phone_number?: { value: string; phone_number_verified?: boolean };
  name?: { title?: string; first_name?: string; last_name?: string; middle_name?: string };
  status?: string;
  created_at?: number;
  updated_at?: number;
}

/** The otp/send and otp/authenticate `identifier_type` values. */
export type IdentifierType = 'email' | 'phone_number' | 'user_id' | 'username';

const iso = (ms: number | undefined): string | null => (typeof ms === 'number' ? new Date(ms).toISOString() : null);

/** tac's shape; what Mosaic does not have (guest flag, failure counters, lock) is null. */
export function toUserView(u: MosaicUser): UserView {
  const name = [u.name?.first_name, u.name?.middle_name, u.name?.last_name].filter(Boolean).join(' ');
  return {
    id: u.user_id,
    username: u.username ?? null,
    email: u.email?.value ?? null,
    phone: u.phone_number?.value ?? null,
    name: name || null,
    guest: null,
    disabled: u.status === 'Disabled',
    failedAttempts: null,
    consecutiveFailures: null,
    lockedUntil: null,
    createdAt: iso(u.created_at),
    updatedAt: iso(u.updated_at),
  };
}

export const toDetails = (u: MosaicUser): UserDetailsView => ({ ...toUserView(u), locked: null, currentTac: null });

export const toSummary = (u: MosaicUser): UserSummaryView => {
  const v = toUserView(u);
  return { id: v.id, username: v.username, email: v.email, name: v.name, guest: null };
};

const seg = encodeURIComponent;

/**
 * Finds the user a USER argument names, and how to name them to otp/send: the kind detected as
 * everywhere in tac (detectUserRef). Mosaic user ids have no tac prefix, so a "username" that no
 * user has is tried as a user id before giving up.
 */
export async function findUser(api: MosaicApi, ref: string): Promise<{ user: MosaicUser; type: IdentifierType; identifier: string }> {
  const r = detectUserRef(ref);
  const notFound = `user "${ref.trim().slice(0, 100)}" not found in mosaic`;
  const get = (path: string) => api.call<{ result: MosaicUser }>('GET', path, 'looking up the user', undefined, { notFound }).then((x) => x.result);
  switch (r.kind) {
    case 'email':
      // getUserByEmail: GET /v1/users/email/{email}, the primary email.
      return { user: await get(`cis/v1/users/email/${seg(r.value)}`), type: 'email', identifier: r.value };
    case 'phone':
      // getUserByIdentifier (the by-phone path is deprecated): identifier_name phoneNumber, E.164.
      return { user: await get(`cis/v1/users/identifier?identifier_name=phoneNumber&identifier_value=${seg(r.value)}`), type: 'phone_number', identifier: r.value };
    default:
      // getUserByUsername, then getUserById.
      try {
        return { user: await get(`cis/v1/users/username/${seg(r.value)}`), type: 'username', identifier: r.value };
      } catch (e) {
        if ((e as { code?: string }).code !== 'not_found') throw e;
        return { user: await get(`cis/v1/users/${seg(r.value)}`), type: 'user_id', identifier: r.value };
      }
  }
}

/**
 * `users search TERM` as getUsers' `search_prefix`: users whose primary email or phone number
 * starts with TERM (Mosaic's own prefix search; a username is not searched, `users show` finds it).
 * `page_limit` is at most 5000.
 */
export function searchQuery(term: string, limit: number): string {
  const t = term.trim();
  return `page_limit=${Math.min(limit, 5000)}${t ? `&search_prefix=${seg(t.includes('@') ? t.toLowerCase() : t)}` : ''}`;
}
