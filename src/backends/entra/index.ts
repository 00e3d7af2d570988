import { TacError } from '../../core/errors.js';
import type { PolicyPatch } from '../../core/policy.js';
import { isLive } from '../../core/status.js';
import type { IssuedTacView, IssueInput, ListedTac, Tac, TacListQuery, UserView } from '../../core/types.js';
import type { AuditFilter, ConnectedBackend, Identity, PolicyView } from '../backend.js';
import { auditRecorder, checkAttestation, type AuditRecord } from '../provider-audit.js';
import { splitTacId, tacId } from '../provider-ids.js';
import type { ProviderOptions } from '../providers.js';
import { unsupported } from '../unsupported.js';
import { ProviderBackendBase } from '../provider-base.js';
import { EntraApi, PERMISSIONS } from './api.js';
import { passStatus, passTimes, toListedTac, type EntraPass } from './passes.js';
import { patchBody, POLICY_PATH, toPolicyView, type EntraPolicy } from './policy.js';
import { checkIssue } from './issue-rules.js';
import { findUser, searchFilter, searchUsers, toDetails, toSummary, toUserView, type EntraUser } from './users.js';
import { tokenRoles } from './token.js';

const NAME = 'entra';
const CENTER = 'use the Microsoft Entra admin center';
/** Every command Entra has no API for here: one line each, naming what to use instead. */
const no = (what: string, command: string, instead = CENTER) => (): Promise<never> => Promise.reject(unsupported(NAME, what, command, instead));
const passesPath = (userId: string) => `v1.0/users/${encodeURIComponent(userId)}/authentication/temporaryAccessPassMethods`;

/**
 * tac's commands against Microsoft Entra ID's Temporary Access Passes over Graph v1.0: users
 * show/search, generate, list and delete per user, and the tenant's TAP policy. Users sign in with
 * a pass at Microsoft, so there is nothing for tac to verify. tac keeps its own audit trail of
 * what it did; the pass itself is returned once and never stored.
 */
export class EntraBackend extends ProviderBackendBase implements ConnectedBackend {
  protected readonly providerName = NAME;
  protected readonly consoleHint = CENTER;
  readonly kind = 'remote' as const;
  readonly location: string;
  private readonly api: EntraApi;
  private readonly now: () => number;
  private readonly record: (r: AuditRecord) => void;

  constructor(private readonly opts: ProviderOptions) {
    super();
    this.api = new EntraApi(opts);
    this.location = this.api.location;
    this.now = opts.now ?? Date.now;
    this.record = auditRecorder(opts, NAME, this.location, this.now);
  }

  /** The app (client id) and the application permissions its token carries (the roles claim). */
  async identity(): Promise<Identity> {
    const token = await this.api.freshToken();
    return {
      provider: NAME, clientId: this.api.clientId, name: null, role: null,
      scopes: tokenRoles(token.accessToken), tokenExpiresAt: new Date(token.expiresAt).toISOString(),
    };
  }

  /** With the user's pass as currentTac (Graph keeps at most one); null when there is none or the app may not read it. */
  async showUser(ref: string) {
    const user = await findUser(this.api, ref);
    const passes = await this.passes(user.id).catch((e: TacError) => {
      if (e.code === 'forbidden') return [];
      throw e;
    });
    const pass = passes[0];
    const current = pass ? (({ user: _, ...tac }) => tac)(toListedTac(user.id, pass, toSummary(user), this.now())) : null;
    return { ...toDetails(user), currentTac: current };
  }

  async searchUsers(query: string, opts: { guestsOnly?: boolean; limit?: number } = {}): Promise<UserView[]> {
    const limit = opts.limit ?? 100;
    // Guests are picked out here (tac's filter stays within Graph's plain startswith/eq), so a
    // page as large as Graph gives is read for them.
    const found = (await searchUsers(this.api, searchFilter(query), opts.guestsOnly ? 999 : limit)).map(toUserView);
    return (opts.guestsOnly ? found.filter((u) => u.guest) : found).slice(0, limit);
  }

  /**
   * POST /users/{id}/authentication/temporaryAccessPassMethods {lifetimeInMinutes, isUsableOnce,
   * startDateTime?} → 201 with `temporaryAccessPass`. Checked first: the user is enabled and the
   * request fits the tenant's policy. Graph deletes the user's previous pass itself: it is listed
   * before, and audited as replaced.
   */
  async issueTac(input: IssueInput): Promise<IssuedTacView> {
    checkAttestation(this.opts.requireAttestation, input);
    const user = await findUser(this.api, input.user);
    if (user.accountEnabled === false) throw new TacError('policy_violation', `user "${input.user.trim()}" is disabled in entra and cannot get a Temporary Access Pass`);
    checkIssue(input, await this.readPolicyForIssue(), this.now());
    const previous = await this.passes(user.id);
    const body = {
      ...(input.ttl !== undefined ? { lifetimeInMinutes: input.ttl } : {}),
      // One-time unless --multi-use, as tac's own codes: phone-friendly and safer.
      isUsableOnce: input.oneTime ?? true,
      ...(input.startsAt !== undefined ? { startDateTime: input.startsAt } : {}),
    };
    const pass = await this.api.call<EntraPass>('POST', passesPath(user.id), 'creating a Temporary Access Pass', body, {
      permission: PERMISSIONS.passes, notFound: `user "${input.user.trim()}" not found in entra`, refusal: 'policy_violation',
    });
    if (typeof pass?.temporaryAccessPass !== 'string' || !pass.temporaryAccessPass) throw new TacError('internal', `${NAME} answered the Temporary Access Pass request without a pass`);
    const id = tacId(user.id, pass.id);
    for (const old of previous.filter((p) => p.id !== pass.id)) {
      this.record({ action: 'tac.revoked', user: user.id, tacId: tacId(user.id, old.id), reason: 'replaced' });
    }
    this.record({
      action: 'tac.generated', user: user.id, tacId: id, verifiedBy: input.verifiedBy ?? null, reason: input.reason ?? null,
      details: { ...(input.verificationNote ? { verificationNote: input.verificationNote } : {}), ...(pass.lifetimeInMinutes != null ? { ttlMinutes: pass.lifetimeInMinutes } : {}) },
    });
    const { startsAt, expiresAt } = passTimes(pass);
    const status = passStatus(pass, this.now());
    return {
      id, code: pass.temporaryAccessPass, status, startsAt: startsAt ?? new Date(this.now()).toISOString(), expiresAt,
      oneTime: pass.isUsableOnce ?? null, user: toSummary(user),
    };
  }

  /** Graph lists passes per user only: --user is required. */
  async listTacs(q: TacListQuery): Promise<ListedTac[]> {
    if (q.user === undefined) throw new TacError('usage', 'entra lists Temporary Access Passes per user: give --user USER', { field: '--user' });
    const user = await findUser(this.api, q.user);
    const summary = toSummary(user);
    const all = (await this.passes(user.id)).map((p) => toListedTac(user.id, p, summary, this.now()));
    return all.filter((t) => !q.status || q.status === 'all' || t.status === q.status).slice(0, q.limit ?? 50);
  }

  /** DELETE …/temporaryAccessPassMethods/{id} (204) for a pending or active pass; `id` is `${userId}:${passId}`. */
  async revokeTac(id: string): Promise<{ tac: Tac; changed: boolean }> {
    const { userId, methodId } = splitTacId(id, NAME);
    const notFound = `TAC ${id} not found in entra`;
    const pass = await this.api.call<EntraPass>('GET', `${passesPath(userId)}/${encodeURIComponent(methodId)}`, 'reading the Temporary Access Pass', undefined, { permission: PERMISSIONS.passes, notFound });
    const user = await findUser(this.api, userId);
    const tac = toListedTac(userId, pass, toSummary(user), this.now());
    if (!isLive(tac.status)) return { tac, changed: false };
    return { tac: await this.deletePass(user, pass), changed: true };
  }

  async revokeUserTacs(ref: string): Promise<Tac[]> {
    const user = await findUser(this.api, ref);
    const live = (await this.passes(user.id)).filter((p) => isLive(passStatus(p, this.now())));
    const out: Tac[] = [];
    for (const p of live) out.push(await this.deletePass(user, p));
    return out;
  }

  /** The tenant's TAP policy (Policy.ReadWrite.AuthenticationMethod, or Policy.Read.All to read). */
  async getPolicy(): Promise<PolicyView> {
    return toPolicyView(await this.readPolicy(), this.opts.requireAttestation);
  }

  /** Checked against Graph's bounds and the current policy, then PATCHed (204) and read back. */
  async updatePolicy(patch: PolicyPatch): Promise<PolicyView> {
    const current = await this.readPolicy();
    const body = patchBody(patch, current, toPolicyView(current, this.opts.requireAttestation));
    await this.api.call('PATCH', POLICY_PATH, 'changing the Temporary Access Pass policy', body, { permission: PERMISSIONS.policy });
    const { '@odata.type': _, ...changed } = body;
    this.record({ action: 'policy.updated', user: null, details: { changed } });
    return this.getPolicy();
  }

  /** DELETE on the configuration reverts it to Entra's defaults (temporaryaccesspassauthenticationmethodconfiguration-delete.md). */
  async resetPolicy(): Promise<PolicyView> {
    await this.api.call('DELETE', POLICY_PATH, 'resetting the Temporary Access Pass policy', undefined, { permission: PERMISSIONS.policy });
    this.record({ action: 'policy.updated', user: null, details: { reset: true } });
    return this.getPolicy();
  }

  /** The trail holds Entra object ids: --user names the user as everywhere. */
  async queryAudit(q: AuditFilter) {
    if (q.user === undefined) return this.opts.audit.query(q);
    const user = await findUser(this.api, q.user).then((u) => u.id, (e: TacError) => {
      if (e.code === 'not_found') return q.user!.trim();
      throw e;
    });
    return this.opts.audit.query({ ...q, user });
  }

  verify = no('checking a Temporary Access Pass', 'tac verify', 'users sign in with it at Microsoft');
  replacePolicy = no('replacing the whole policy', 'tac policy set', 'give the fields to change');
  // Guests are invited (B2B) rather than made here.
  override createGuest = no('guest accounts', 'tac guests create', 'invite guests in the Microsoft Entra admin center');
  override importGuests = no('guest accounts', 'tac guests import', 'invite guests in the Microsoft Entra admin center');
  purge = no('purging TACs', 'tac purge', 'Entra removes expired passes itself');

  close() {
    return this.api.close();
  }

  private passes(userId: string): Promise<EntraPass[]> {
    return this.api.call<{ value: EntraPass[] }>('GET', passesPath(userId), 'listing Temporary Access Passes', undefined, { permission: PERMISSIONS.passes })
      .then((r) => r.value);
  }

  private readPolicy(): Promise<EntraPolicy> {
    return this.api.call<EntraPolicy>('GET', POLICY_PATH, 'reading the Temporary Access Pass policy', undefined, { permission: PERMISSIONS.policy });
  }

  /** The policy to check a request against, or undefined when the app may not read it: Graph checks it then. */
  private readPolicyForIssue(): Promise<EntraPolicy | undefined> {
    return this.readPolicy().catch((e: TacError) => {
      if (e.code === 'forbidden') return undefined;
      throw e;
    });
  }

  private async deletePass(user: EntraUser, p: EntraPass): Promise<Tac> {
    await this.api.call('DELETE', `${passesPath(user.id)}/${encodeURIComponent(p.id)}`, 'deleting the Temporary Access Pass', undefined, {
      permission: PERMISSIONS.passes, notFound: `TAC ${tacId(user.id, p.id)} not found in entra`,
    });
    const at = new Date(this.now()).toISOString();
    this.record({ action: 'tac.revoked', user: user.id, tacId: tacId(user.id, p.id), reason: 'deleted' });
    const { user: _, ...tac } = toListedTac(user.id, p, toSummary(user), this.now());
    return { ...tac, status: 'revoked', revokedAt: at, revokedReason: 'deleted' };
  }

}

export const open = (opts: ProviderOptions): ConnectedBackend => new EntraBackend(opts);
