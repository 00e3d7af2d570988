import { TacError } from '../../core/errors.js';
import type { Tac } from '../../core/types.js';
import { tacId } from '../provider-ids.js';
import type { OktaApi } from './api.js';

/*
 * The TAC authenticator and a user's TAC enrollments. Shapes: the seed guide
 * (../shared/seeds/okta-tac-authenticator.md) and okta-management-openapi-spec
 * dist/current/management-minimal.yaml (AuthenticatorKeyTac, TacAuthenticatorEnrollment,
 * AuthenticatorProfileTacResponsePost, listAuthenticatorEnrollments).
 */

export interface TacConfiguration {
  minTtl?: number;
  maxTtl?: number;
  defaultTtl?: number;
  length?: number;
  complexity?: { numbers?: boolean; letters?: boolean; specialCharacters?: boolean };
  multiUseAllowed?: boolean;
}

/** The `tac` authenticator, kept whole: PUT /api/v1/authenticators/{id} takes the whole object back. */
export interface TacAuthenticator {
  id: string;
  key: string;
  name?: string;
  status?: string;
  provider?: { type?: string; configuration?: TacConfiguration };
  [field: string]: unknown;
}

/** A user's authenticator enrollment; `profile.tac` (the code) only in the POST's answer. */
export interface Enrollment {
  id: string;
  type?: string;
  key?: string;
  status?: string;
  created?: string;
  lastUpdated?: string;
  profile?: { tac?: string; multiUse?: boolean; expiresAt?: string };
}

/** The TAC authenticator's permission an admin role needs for generate, list and delete. */
export const TAC_PERMISSION = 'okta.users.credentials.manageTemporaryAccessCode';

/**
 * GET /api/v1/authenticators, the one whose key is "tac"; looked up once per process (a command).
 * An org without it (or with the feature off) cannot issue TACs: one line saying what to set up.
 */
export class TacAuthenticatorLookup {
  private found: Promise<TacAuthenticator> | undefined;

  constructor(private readonly api: OktaApi) {}

  get(): Promise<TacAuthenticator> {
    this.found ??= this.api.call<TacAuthenticator[]>('GET', 'api/v1/authenticators', 'listing authenticators', undefined, { scope: 'okta.authenticators.read' }).then((all) => {
      const tac = all.find((a) => a.key === 'tac');
      if (!tac) throw new TacError('unsupported', `okta at ${this.api.location} has no Temporary Access Code authenticator (key "tac"): add it under Security > Authenticators (see README, Okta)`);
      return tac;
    });
    this.found.catch(() => (this.found = undefined));
    return this.found;
  }

  /** After a PUT: later reads in this process see the new configuration. */
  set(authenticator: TacAuthenticator): void {
    this.found = Promise.resolve(authenticator);
  }
}

/** profile.expiresAt carries no zone ("2025-05-12T22:43:30"); the spec says it is UTC. */
export function utcTime(s: string | undefined): string | null {
  if (!s) return null;
  const ms = Date.parse(/(Z|[+-]\d\d:?\d\d)$/i.test(s) ? s : `${s}Z`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export const isTacEnrollment = (e: Enrollment): boolean => e.type === 'tac' || e.key === 'tac';

/**
 * A TAC as tac lists it. Okta does not say who issued it, how often it was used or when, nor
 * whether it was revoked (a deleted enrollment is gone): those are null, never invented.
 */
export type ProviderTac = Omit<Tac, 'createdAt' | 'startsAt' | 'expiresAt' | 'oneTime' | 'useCount' | 'createdBy'> & {
  createdAt: string | null; startsAt: string | null; expiresAt: string | null; oneTime: boolean | null; useCount: number | null; createdBy: string | null;
};

export function toTac(userId: string, e: Enrollment, now: number): ProviderTac {
  const expiresAt = utcTime(e.profile?.expiresAt);
  const created = utcTime(e.created);
  const live = e.status === 'ACTIVE' && (expiresAt === null || Date.parse(expiresAt) > now);
  return {
    id: tacId(userId, e.id), userId, status: live ? 'active' : 'expired',
    createdAt: created, startsAt: created, expiresAt,
    oneTime: typeof e.profile?.multiUse === 'boolean' ? !e.profile.multiUse : null,
    useCount: null, lastUsedAt: null, revokedAt: null, revokedReason: null, reason: null, createdBy: null,
  };
}

/**
 * GET /api/v1/users/{userId}/authenticator-enrollments, the TAC ones. The spec types the answer
 * as one AuthenticatorEnrollment but its example (AuthenticatorEnrollmentResponseListAll) is an
 * array, as Okta answers: an object alone is taken as a list of one.
 */
export async function listTacEnrollments(api: OktaApi, userId: string, notFound: string): Promise<Enrollment[]> {
  const got = await api.call<Enrollment[] | Enrollment>('GET', `api/v1/users/${encodeURIComponent(userId)}/authenticator-enrollments`, 'listing the user\'s TACs', undefined, {
    notFound, scope: 'okta.users.read', permission: TAC_PERMISSION,
  });
  return (Array.isArray(got) ? got : [got]).filter(isTacEnrollment);
}

/** Why a --ttl is refused before the call: the TAC authenticator's minTtl/maxTtl, named. */
export function checkTtl(ttl: number, c: TacConfiguration): void {
  const { minTtl, maxTtl } = c;
  if ((minTtl !== undefined && ttl < minTtl) || (maxTtl !== undefined && ttl > maxTtl)) {
    throw new TacError('policy_violation', `--ttl: ${ttl} minutes is outside okta's TAC authenticator range of ${minTtl ?? '?'} to ${maxTtl ?? '?'} minutes (minTtl, maxTtl)`, { field: '--ttl' });
  }
}

/**
 * The POST body, as the seed guide shows it: {authenticatorId, authenticatorType: "tac",
 * config: {ttl, multiUse}}. Okta's OpenAPI file (AuthenticatorEnrollmentCreateRequestTac) puts
 * ttl and multiUse under `profile` instead, with ttl typed as a string; tac follows the guide.
 */
export function enrollmentBody(authenticatorId: string, ttl: number | undefined, multiUse: boolean): Record<string, unknown> {
  return { authenticatorId, authenticatorType: 'tac', config: { ...(ttl !== undefined ? { ttl } : {}), multiUse } };
}
