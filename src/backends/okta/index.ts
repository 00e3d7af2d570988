import { TacError } from '../../core/errors.js';
import type { PolicyPatch } from '../../core/policy.js';
import { type IssuedTacView, type IssueInput, type ListedTac, type Tac, type TacListQuery, type UserView } from '../../core/types.js';
import type { AuditFilter, ConnectedBackend, Identity, PolicyView } from '../backend.js';
import { splitTacId } from '../provider-ids.js';
import { auditRecorder, checkAttestation, queryByUser, type AuditRecord } from '../provider-audit.js';
import type { ProviderOptions } from '../providers.js';
import { ProviderBackendBase } from '../provider-base.js';
import { unsupported } from '../unsupported.js';
import { OktaApi } from './api.js';
import { applyPatch, toPolicyView } from './policy.js';
import { checkTtl, enrollmentBody, listTacEnrollments, TAC_PERMISSION, TacAuthenticatorLookup, toTac, utcTime, type Enrollment, type ProviderTac, type TacAuthenticator } from './tacs.js';
import { checkCanReceive, findUser, searchQuery, toDetails, toSummary, toUserView, type OktaUser } from './users.js';

const NAME = 'okta';
const CONSOLE = 'use the Okta Admin Console';
const no = (what: string, command: string, instead = CONSOLE) => (): Promise<never> => Promise.reject(unsupported(NAME, what, command, instead));
/** Okta's TACs lack fields tac's engine always has (see ProviderTac): the shapes stay, the values are null. */
const asTac = (t: ProviderTac) => t as unknown as Tac;

/**
 * tac's commands against Okta's Temporary Access Code authenticator: users show/search, generate,
 * list and delete (per user), and the policy (the authenticator's configuration). Users sign in
 * at Okta, so verify is not offered. tac keeps its own audit trail; a code is returned once, never stored.
 */
export class OktaBackend extends ProviderBackendBase implements ConnectedBackend {
  readonly kind = 'remote' as const;
  protected readonly providerName = NAME;
  protected readonly consoleHint = CONSOLE;
  readonly location: string;
  private readonly api: OktaApi;
  private readonly authenticator: TacAuthenticatorLookup;
  private readonly now: () => number;
  private readonly record: (r: AuditRecord) => void;

  constructor(private readonly opts: ProviderOptions) {
    super();
    this.api = new OktaApi(opts);
    this.location = this.api.location;
    this.authenticator = new TacAuthenticatorLookup(this.api);
    this.now = opts.now ?? Date.now;
    this.record = auditRecorder(opts, NAME, this.location, this.now);
  }

  /**
   * An API token: GET /api/v1/users/me, the admin the token acts as (getUser: "the user linked to
   * the API token"). A service app: its client id and the scopes the token response granted.
   */
  async identity(): Promise<Identity> {
    const cred = this.api.credential;
    if (cred.kind === 'api_token') {
      const me = await this.api.call<OktaUser>('GET', 'api/v1/users/me', 'checking the API token', undefined, { scope: 'okta.users.read' });
      return { provider: NAME, clientId: null, name: me.profile?.login ?? me.id, role: null, scopes: [], tokenExpiresAt: null };
    }
    const token = await this.api.freshToken();
    return {
      provider: NAME, clientId: cred.clientId, name: null, role: null, scopes: token.scope.split(' ').filter(Boolean),
      tokenExpiresAt: new Date(token.expiresAt).toISOString(),
    };
  }

  async showUser(ref: string) {
    const user = await findUser(this.api, ref);
    const tacs = await this.userTacs(user);
    const newest = tacs.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''))[0];
    return toDetails(user, newest ? asTac(newest) : null);
  }

  async searchUsers(query: string, opts: { guestsOnly?: boolean; limit?: number } = {}): Promise<UserView[]> {
    if (opts.guestsOnly) return no('guest users', 'tac users search --guests')();
    const limit = opts.limit ?? 100;
    const found = await this.api.call<OktaUser[]>('GET', `api/v1/users?${searchQuery(query, limit)}`, 'searching users', undefined, { scope: 'okta.users.read' });
    return found.slice(0, limit).map(toUserView);
  }

  /**
   * POST /api/v1/users/{userId}/authenticator-enrollments/tac, after every check Okta's settings
   * allow making here (user status, --ttl against minTtl/maxTtl, multi-use allowed), so a refusal
   * names the rule. A new TAC replaces the user's previous one (seed guide): audited as replaced.
   */
  async issueTac(input: IssueInput): Promise<IssuedTacView> {
    if (input.startsAt !== undefined) return no('TACs that start later', 'tac generate --starts-at', 'issue the TAC when it is needed')();
    checkAttestation(this.opts.requireAttestation, input);
    const user = await findUser(this.api, input.user);
    checkCanReceive(user, input.user);
    const authenticator = await this.authenticator.get();
    if (authenticator.status !== undefined && authenticator.status !== 'ACTIVE') {
      throw new TacError('policy_violation', `okta's Temporary Access Code authenticator is ${authenticator.status.toLowerCase()}: activate it under Security > Authenticators`);
    }
    const config = authenticator.provider?.configuration ?? {};
    if (input.ttl !== undefined) checkTtl(input.ttl, config);
    const multiUse = input.oneTime === false;
    if (multiUse && config.multiUseAllowed === false) {
      throw new TacError('policy_violation', '--multi-use: okta\'s TAC authenticator does not allow multi-use TACs (multiUseAllowed is false)', { field: '--multi-use' });
    }
    const previous = (await this.userTacs(user)).filter((t) => t.status === 'active');
    const ttl = input.ttl ?? config.defaultTtl;
    const created = await this.api.call<Enrollment>('POST', `api/v1/users/${encodeURIComponent(user.id)}/authenticator-enrollments/tac`, 'issuing a TAC', enrollmentBody(authenticator.id, ttl, multiUse), {
      notFound: `user "${input.user.trim()}" not found in okta`, validation: 'policy_violation', scope: 'okta.users.manage', permission: TAC_PERMISSION,
    });
    const code = created?.profile?.tac;
    if (typeof code !== 'string' || !code) throw new TacError('internal', `${NAME} answered the TAC request without a code`);
    const tac = toTac(user.id, created, this.now());
    for (const old of previous) {
      this.record({ action: 'tac.revoked', user: user.id, tacId: old.id, reason: 'replaced', details: { replacedBy: tac.id } });
    }
    this.record({
      action: 'tac.generated', user: user.id, tacId: tac.id, verifiedBy: input.verifiedBy ?? null, reason: input.reason ?? null,
      details: { ...(input.verificationNote ? { verificationNote: input.verificationNote } : {}), ...(ttl !== undefined ? { ttlMinutes: ttl } : {}), multiUse },
    });
    return {
      id: tac.id, code, status: 'active', startsAt: tac.startsAt ?? new Date(this.now()).toISOString(),
      expiresAt: utcTime(created.profile?.expiresAt), oneTime: tac.oneTime, user: toSummary(user),
    };
  }

  /** Okta lists enrollments per user, so --user is needed. */
  async listTacs(q: TacListQuery): Promise<ListedTac[]> {
    if (q.user === undefined) throw new TacError('invalid_value', '--user: okta lists TACs per user; give --user USER', { field: '--user' });
    const user = await findUser(this.api, q.user);
    const status = q.status ?? 'all';
    const tacs = (await this.userTacs(user)).filter((t) => status === 'all' || t.status === status);
    return tacs.slice(0, q.limit ?? 100).map((t) => ({ ...asTac(t), user: toSummary(user) }) as unknown as ListedTac);
  }

  /** GET the enrollment (it must be a TAC), then DELETE /api/v1/users/{userId}/authenticator-enrollments/{id} → 204. */
  async revokeTac(id: string): Promise<{ tac: Tac; changed: boolean }> {
    const { userId, methodId } = splitTacId(id, NAME);
    const path = `api/v1/users/${encodeURIComponent(userId)}/authenticator-enrollments/${encodeURIComponent(methodId)}`;
    const notFound = `TAC ${id} not found in okta`;
    const e = await this.api.call<Enrollment>('GET', path, 'reading the TAC', undefined, { notFound, scope: 'okta.users.read', permission: TAC_PERMISSION });
    if (!e || !(e.type === 'tac' || e.key === 'tac')) throw new TacError('not_found', notFound);
    return { tac: await this.deleteEnrollment(userId, e), changed: true };
  }

  async revokeUserTacs(ref: string): Promise<Tac[]> {
    const user = await findUser(this.api, ref);
    const live = (await listTacEnrollments(this.api, user.id, `user "${ref.trim()}" not found in okta`)).filter((e) => toTac(user.id, e, this.now()).status === 'active');
    const out: Tac[] = [];
    for (const e of live) out.push(await this.deleteEnrollment(user.id, e));
    return out;
  }

  async getPolicy(): Promise<PolicyView> {
    return toPolicyView(await this.authenticator.get(), this.opts.requireAttestation);
  }

  /** PUT /api/v1/authenticators/{id} with the whole authenticator, its configuration patched and checked first. */
  async updatePolicy(patch: PolicyPatch): Promise<PolicyView> {
    const current = await this.authenticator.get();
    const next = applyPatch(current, patch, this.opts.requireAttestation);
    const saved = await this.api.call<TacAuthenticator>('PUT', `api/v1/authenticators/${encodeURIComponent(current.id)}`, 'changing the TAC authenticator', next, {
      scope: 'okta.authenticators.manage', permission: 'okta.authenticators.manage',
    });
    this.authenticator.set(saved);
    this.record({ action: 'policy.updated', user: null, details: { changed: patch, authenticatorId: current.id } });
    return toPolicyView(saved, this.opts.requireAttestation);
  }

  replacePolicy = no('replacing the whole code policy', 'tac policy set', 'give the fields to change');
  resetPolicy = no('resetting the code policy', 'tac policy reset', 'set the fields with tac policy set');
  verify = no('checking codes', 'tac verify', 'users sign in at Okta with the TAC');
  purge = no('purging TACs', 'tac purge', 'Okta expires TACs itself');

  /** --user names the user as everywhere: the trail holds Okta user ids. */
  queryAudit(q: AuditFilter) {
    return queryByUser(this.opts.audit, q, async (ref) => (await findUser(this.api, ref)).id);
  }

  close() {
    return this.api.close();
  }

  private async userTacs(user: OktaUser): Promise<ProviderTac[]> {
    const now = this.now();
    return (await listTacEnrollments(this.api, user.id, `user "${user.id}" not found in okta`)).map((e) => toTac(user.id, e, now));
  }

  private async deleteEnrollment(userId: string, e: Enrollment): Promise<Tac> {
    const tac = toTac(userId, e, this.now());
    await this.api.call('DELETE', `api/v1/users/${encodeURIComponent(userId)}/authenticator-enrollments/${encodeURIComponent(e.id)}`, 'deleting the TAC', undefined, {
      notFound: `TAC ${tac.id} not found in okta`, scope: 'okta.users.manage', permission: TAC_PERMISSION,
    });
    const at = new Date(this.now()).toISOString();
    this.record({ action: 'tac.revoked', user: userId, tacId: tac.id, reason: 'deleted' });
    return asTac({ ...tac, status: 'revoked', revokedAt: at, revokedReason: 'deleted' });
  }
}

export const open = (opts: ProviderOptions): ConnectedBackend => new OktaBackend(opts);
