import { addMinutes, iso, type Clock } from './clock.js';
import { cryptoRandomInt, digestsEqual, generateCode, normalizeCode, type CodeHasher, type RandomInt } from './codes.js';
import { truncate } from './duration.js';
import { invalid, notFound, TacError } from './errors.js';
import {
  checkPatchShape, checkTtl, DEFAULT_POLICY, isCaseSensitive, mergePolicy, TTL_CEILING_MINUTES, validatePolicy,
  type Policy, type PolicyPatch,
} from './policy.js';
import { deriveStatus, endedAt, isLive, toTac } from './status.js';
import type { Store } from './store.js';
import {
  AUDIT_ACTIONS, TAC_STATUSES, VERIFICATION_METHODS,
  type AuditAction, type AuditEvent, type GuestImportResult, type GuestInput, type IssuedTac, type ListedTac, type IssueInput, type NewAuditEvent, type NewUserInput, type OnExisting,
  type PurgeResult, type RevokeReason, type Tac, type TacListQuery, type TacRecord, type User, type UserDetails, type UserImportResult, type UserSummary, type Verdict,
  type VerifyReason,
} from './types.js';
import { detectUserRef, isLocked, LOCKED_UNTIL_UNLOCKED, newId, normalizeNewUser, normalizeText, summarize } from './users.js';

export interface ServiceDeps {
  store: Store;
  clock: Clock;
  hasher: CodeHasher;
  /** Who acts: the OS user locally, `agent:<name>` on the server. Recorded in every audit event. */
  actor: string;
  random?: RandomInt;
}

const MAX_REASON = 500;
export const MAX_LIST_LIMIT = 1000;

/**
 * The TAC engine: every rule of issuing, verifying, revoking and purging lives here, once. The local
 * backend and the server both call it, so they cannot drift apart.
 */
export class TacService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly hasher: CodeHasher;
  private readonly actor: string;
  private readonly random: RandomInt;

  constructor(deps: ServiceDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.hasher = deps.hasher;
    this.actor = deps.actor;
    this.random = deps.random ?? cryptoRandomInt;
  }

  /**
   * Records the key's fingerprint on first use and refuses a database created under another key:
   * with the wrong key no stored code could ever verify, and new codes would be unverifiable later.
   */
  checkKey(keyLocation: string): void {
    const fp = this.hasher.fingerprint();
    // Every start checks: a plain read when it matches, the write lock only to record it the first time.
    if (this.store.getMeta('key_fingerprint') === fp) return;
    this.store.transaction(() => {
      const stored = this.store.getMeta('key_fingerprint');
      if (stored === undefined) this.store.setMeta('key_fingerprint', fp);
      else if (stored !== fp) {
        throw new TacError('key_mismatch', `this database was created with a different hashing key than ${keyLocation}; restore that key file (or set TAC_KEY_FILE) to use it`);
      }
    });
  }

  // ---- policy ---------------------------------------------------------------------------------

  /** Stored fields over the defaults, so a policy saved by an older version gains new fields' defaults. */
  getPolicy(): Policy {
    const stored = this.store.getPolicy();
    return stored ? mergePolicy(DEFAULT_POLICY, stored) : DEFAULT_POLICY;
  }

  updatePolicy(patchInput: unknown): Policy {
    const patch = checkPatchShape(patchInput);
    return this.store.transaction(() => this.savePolicy(mergePolicy(this.getPolicy(), patch)));
  }

  /** Replaces the whole policy: every field must be present. */
  replacePolicy(input: unknown): Policy {
    const patch = checkPatchShape(input);
    const missing = Object.keys(DEFAULT_POLICY).filter((k) => !(k in patch));
    const missingComplexity = Object.keys(DEFAULT_POLICY.complexity).filter((k) => !(k in (patch.complexity ?? {})));
    if (missing.length) throw invalid(missing[0]!, 'is required when replacing the whole policy');
    if (missingComplexity.length) throw invalid(`complexity.${missingComplexity[0]}`, 'is required when replacing the whole policy');
    return this.store.transaction(() => this.savePolicy(mergePolicy(DEFAULT_POLICY, patch)));
  }

  resetPolicy(): Policy {
    return this.store.transaction(() => this.savePolicy({ ...DEFAULT_POLICY, complexity: { ...DEFAULT_POLICY.complexity } }));
  }

  private savePolicy(next: Policy): Policy {
    validatePolicy(next);
    const before = this.getPolicy();
    this.store.savePolicy(next);
    this.audit({ action: 'policy.updated', details: { changes: policyDiff(before, next) } });
    return next;
  }

  // ---- users ----------------------------------------------------------------------------------

  findUser(ref: string): User | undefined {
    // Phones are stored canonical (E.164): a typed number is read in the policy's phoneRegion.
    const { kind, value } = detectUserRef(ref, () => this.getPolicy().phoneRegion);
    if (kind === 'id') return this.store.getUser(value);
    const found = this.store.findUser(kind, value);
    // A username may itself look like an email or a phone number, so fall back to the username.
    return found ?? (kind === 'username' ? undefined : this.store.findUser('username', ref.trim()));
  }

  resolveUser(ref: string): User {
    if (typeof ref !== 'string' || !ref.trim()) throw invalid('user', 'is required (an id, username, email or phone)');
    const u = this.findUser(ref);
    if (!u) throw notFound(`user "${truncate(ref)}"`);
    return u;
  }

  addUser(input: NewUserInput): User {
    return this.store.transaction(() => this.createUser(input, input.guest ? 'guest.created' : 'user.created'));
  }

  private createUser(input: NewUserInput, action: 'user.created' | 'guest.created', fieldPrefix = ''): User {
    const n = normalizeNewUser(input, fieldPrefix, this.getPolicy().phoneRegion);
    this.assertUnique(n.username, n.email, n.phone, fieldPrefix);
    const user = newUserRecord(n, this.clock.now());
    this.store.insertUser(user);
    this.audit(userCreated(user, action));
    return user;
  }

  private assertUnique(username: string, email: string, phone: string | null, prefix: string): void {
    const clash = (field: string, value: string, other: User | undefined) => {
      if (other) throw new TacError('conflict', `${prefix}${field}: "${value}" is already used by user ${other.username}`, { field: `${prefix}${field}` });
    };
    // Email first: a guest's username defaults to their email, and the email is what the agent typed.
    clash('email', email, this.store.findUser('email', email));
    clash('username', username, this.store.findUser('username', username));
    if (phone) clash('phone', phone, this.store.findUser('phone', phone));
  }

  searchUsers(query: string, opts: { guestsOnly?: boolean; limit?: number } = {}): User[] {
    return this.store.searchUsers(String(query ?? '').trim(), { guestsOnly: Boolean(opts.guestsOnly), limit: checkLimit(opts.limit, 20) });
  }

  showUser(ref: string): UserDetails {
    const u = this.resolveUser(ref);
    const now = this.clock.now();
    const latest = first(this.store.iterateTacs({ userId: u.id }));
    const locked = isLocked(u, now);
    return { ...this.presentUser(u, now), locked, currentTac: latest ? toTac(latest, now) : null };
  }

  /** A lock that has run out is shown (and later stored) as no lock and no failures. */
  private presentUser(u: User, now: Date): User {
    return u.lockedUntil && !isLocked(u, now) ? { ...u, failedAttempts: 0, lockedUntil: null } : u;
  }

  unlockUser(ref: string): User {
    return this.store.transaction(() => {
      const u = this.resolveUser(ref);
      const patch = { failedAttempts: 0, consecutiveFailures: 0, lockedUntil: null, updatedAt: iso(this.clock.now()) };
      this.store.updateUser(u.id, patch);
      this.audit({
        action: 'user.unlocked', userId: u.id,
        details: { wasLocked: isLocked(u, this.clock.now()), failedAttempts: u.failedAttempts, consecutiveFailures: u.consecutiveFailures },
      });
      return { ...u, ...patch };
    });
  }

  /** Disabling also revokes the user's live TAC: a disabled user can neither receive nor use one. */
  setUserDisabled(ref: string, disabled: boolean): User {
    return this.store.transaction(() => {
      const u = this.resolveUser(ref);
      const patch = { disabled, updatedAt: iso(this.clock.now()) };
      this.store.updateUser(u.id, patch);
      this.audit({ action: disabled ? 'user.disabled' : 'user.enabled', userId: u.id, details: { changed: u.disabled !== disabled } });
      if (disabled) this.revokeLive(u.id, 'user_disabled');
      return { ...u, ...patch };
    });
  }

  deleteUser(ref: string): User {
    return this.store.transaction(() => {
      const u = this.resolveUser(ref);
      this.revokeLive(u.id, 'user_deleted');
      this.store.deleteUser(u.id);
      this.audit({ action: 'user.deleted', userId: u.id, details: { username: u.username, email: u.email, guest: u.guest } });
      return u;
    });
  }

  // ---- TACs -----------------------------------------------------------------------------------

  /** An agent issues a code to a caller: the policy may require them to attest how they verified who is calling. */
  issueTac(input: IssueInput): IssuedTac {
    return this.store.transaction(() => {
      const user = this.resolveUser(input.user);
      if (this.getPolicy().requireAttestation && input.verifiedBy === undefined) {
        throw new TacError('invalid_value', `--verified-by: the policy requires stating how the caller's identity was verified: one of ${VERIFICATION_METHODS.join(', ')}`, { field: '--verified-by' });
      }
      return this.issueFor(user, input);
    });
  }

  /** Issues a TAC to an existing user. `purged`: see issueWith. */
  private issueFor(user: User, input: Omit<IssueInput, 'user'>, { purged = false } = {}): IssuedTac {
    const policy = this.getPolicy();
    const now = this.clock.now();
    return this.issueWith(policy, user, this.issueTerms(policy, input, now, user), now, { purged, newUser: false });
  }

  /**
   * Stores a TAC on checked terms. `purged`: the caller already purged finished TACs in this
   * transaction (a batch purges once, not per row). `newUser`: the user was created in this
   * transaction, so has no TAC to replace.
   */
  private issueWith(policy: Policy, user: User, terms: IssueTerms, now: Date, { purged, newUser }: { purged: boolean; newUser: boolean }): IssuedTac {
    if (!purged) this.purgeFinished(policy, now);
    if (!newUser) this.revokeLive(user.id, 'replaced');
    const { record, event, issued } = this.newTac(policy, user, terms, now);
    this.store.insertTac(record);
    this.audit(event);
    return issued;
  }

  /** Checks the terms of a new TAC against the policy (for `user`: not disabled), writing nothing. */
  private issueTerms(policy: Policy, input: Omit<IssueInput, 'user'>, now: Date, user?: User) {
    if (!policy.enabled) throw new TacError('policy_violation', 'TACs are disabled by policy (an admin can run: tac policy set --enable)');
    if (user?.disabled) throw new TacError('policy_violation', `user ${user.username} is disabled and cannot receive a TAC (tac users enable ${user.username})`);
    const ttl = input.ttl ?? policy.defaultTtl;
    if (!Number.isSafeInteger(ttl) || ttl <= 0) throw invalid('--ttl', 'must be a positive number of minutes');
    checkTtl(policy, ttl);
    const startsAt = this.checkStart(input.startsAt, now);
    const oneTime = input.oneTime ?? policy.oneTimeDefault;
    if (!oneTime && !policy.multiUseAllowed) {
      throw new TacError('policy_violation', '--multi-use: multi-use codes are not allowed by policy (tac policy set --multi-use-allowed)');
    }
    const reason = normalizeText('--reason', input.reason, MAX_REASON);
    const verificationNote = normalizeText('--verification-note', input.verificationNote, MAX_REASON);
    if (input.verifiedBy !== undefined && !VERIFICATION_METHODS.includes(input.verifiedBy)) {
      throw invalid('--verified-by', `must be one of ${VERIFICATION_METHODS.join(', ')}`);
    }
    return { ttl, startsAt, oneTime, reason, verificationNote, verifiedBy: input.verifiedBy };
  }

  /** Draws a code and builds its record, its `tac.generated` event and what is shown once. Writes nothing. */
  private newTac(policy: Policy, user: User, terms: IssueTerms, now: Date) {
    const { ttl, startsAt, oneTime, reason, verificationNote, verifiedBy } = terms;
    const code = generateCode(policy, this.random);
    const caseSensitive = isCaseSensitive(policy);
    const record: TacRecord = {
      id: newId('tac', now),
      userId: user.id,
      codeHash: this.hasher.hash(user.id, normalizeCode(code, caseSensitive)),
      caseSensitive,
      createdAt: stamp(now),
      startsAt: stamp(startsAt),
      expiresAt: stamp(addMinutes(startsAt, ttl)),
      oneTime,
      useCount: 0,
      lastUsedAt: null,
      revokedAt: null,
      revokedReason: null,
      reason,
      createdBy: this.actor,
    };
    const event: AuditInput = {
      action: 'tac.generated', userId: user.id, tacId: record.id,
      details: {
        ttl, oneTime, startsAt: record.startsAt, expiresAt: record.expiresAt, reason,
        ...(verifiedBy ? { verifiedBy } : {}),
        ...(verificationNote ? { verificationNote } : {}),
      },
    };
    const issued: IssuedTac = {
      id: record.id, code, status: deriveStatus(record, now), startsAt: record.startsAt, expiresAt: record.expiresAt,
      oneTime, user: summarize(user),
    };
    return { record, event, issued };
  }

  private checkStart(startsAt: string | undefined, now: Date): Date {
    if (startsAt === undefined) return now;
    const d = new Date(startsAt);
    if (Number.isNaN(d.getTime())) throw invalid('--starts-at', 'is not a valid time');
    // A minute of grace for clocks and for "now" typed as an absolute time.
    if (d.getTime() < now.getTime() - 60_000) throw invalid('--starts-at', 'must not be in the past');
    if (d.getTime() > addMinutes(now, TTL_CEILING_MINUTES).getTime()) throw invalid('--starts-at', 'must be within 30 days');
    return d.getTime() < now.getTime() ? now : d;
  }

  listTacs(q: TacListQuery = {}): ListedTac[] {
    const status = q.status ?? 'all';
    if (status !== 'all' && !TAC_STATUSES.includes(status)) throw invalid('--status', `must be one of ${[...TAC_STATUSES, 'all'].join(', ')}`);
    const limit = checkLimit(q.limit, 50);
    const userId = q.user === undefined ? undefined : this.resolveUser(q.user).id;
    const now = this.clock.now();
    const users = new Map<string, UserSummary | null>();
    const owner = (id: string) => {
      if (!users.has(id)) {
        const u = this.store.getUser(id);
        users.set(id, u ? summarize(u) : null);
      }
      return users.get(id)!;
    };
    const out: ListedTac[] = [];
    for (const rec of this.store.iterateTacs({ userId })) {
      const tac = toTac(rec, now);
      if (status === 'all' || tac.status === status) out.push({ ...tac, user: owner(rec.userId) });
      if (out.length >= limit) break;
    }
    return out;
  }

  getTac(id: string): Tac {
    const rec = this.store.getTac(String(id ?? '').trim());
    if (!rec) throw notFound(`TAC "${truncate(id)}"`);
    return toTac(rec, this.clock.now());
  }

  /** Revokes one TAC. Revoking a TAC that is no longer live changes nothing and is not an error. */
  revokeTac(id: string): { tac: Tac; changed: boolean } {
    return this.store.transaction(() => {
      const now = this.clock.now();
      const rec = this.store.getTac(String(id ?? '').trim());
      if (!rec) throw notFound(`TAC "${truncate(id)}"`);
      if (!isLive(deriveStatus(rec, now))) return { tac: toTac(rec, now), changed: false };
      return { tac: this.revoke(rec, 'deleted', now), changed: true };
    });
  }

  revokeUserTacs(ref: string): Tac[] {
    return this.store.transaction(() => this.revokeLive(this.resolveUser(ref).id, 'deleted'));
  }

  private revokeLive(userId: string, reason: RevokeReason): Tac[] {
    const now = this.clock.now();
    const live = [...this.store.iterateTacs({ userId })].filter((t) => isLive(deriveStatus(t, now)));
    return live.map((t) => this.revoke(t, reason, now));
  }

  private revoke(rec: TacRecord, reason: RevokeReason, now: Date): Tac {
    const patch = { revokedAt: iso(now), revokedReason: reason };
    this.store.updateTac(rec.id, patch);
    this.audit({ action: 'tac.revoked', userId: rec.userId, tacId: rec.id, reason, details: {} });
    return toTac({ ...rec, ...patch }, now);
  }

  /**
   * Verifies a code in one transaction, so concurrent attempts are counted exactly and a one-time
   * code is consumed exactly once. State reasons are only given for the TAC the code matches.
   */
  verify(ref: string, submitted: string): Verdict {
    return this.store.transaction(() => {
      const now = this.clock.now();
      const policy = this.getPolicy();
      const user = typeof ref === 'string' && ref.trim() ? this.findUser(ref) : undefined;
      if (!user) return this.refuse('unknown_user', null, null, { user: truncate(ref ?? '', 80) });
      if (user.disabled) return this.refuse('user_disabled', user.id);
      if (isLocked(user, now)) return { ...this.refuse('locked_out', user.id), lockedUntil: user.lockedUntil! };
      if (!policy.enabled) return this.refuse('tacs_disabled', user.id);

      const match = this.findMatch(user.id, String(submitted ?? ''));
      if (!match) return this.countFailure(user, policy, now);

      const status = deriveStatus(match, now);
      if (status !== 'active') {
        const reason = ({ pending: 'not_yet_valid', expired: 'expired', used: 'already_used', revoked: 'revoked' } as const)[status];
        return this.refuse(reason, user.id, match.id);
      }
      const tacPatch = { useCount: match.useCount + 1, lastUsedAt: iso(now) };
      this.store.updateTac(match.id, tacPatch);
      // A multi-use code's success keeps the consecutive count: an attacker guessing between the
      // user's legitimate sign-ins must still run into maxConsecutiveFailures (see Policy).
      const consecutiveFailures = match.oneTime ? 0 : user.consecutiveFailures;
      if (user.failedAttempts !== 0 || user.lockedUntil !== null || consecutiveFailures !== user.consecutiveFailures) {
        this.store.updateUser(user.id, { failedAttempts: 0, consecutiveFailures, lockedUntil: null, updatedAt: iso(now) });
      }
      const tac = toTac({ ...match, ...tacPatch }, now);
      this.audit({ action: 'tac.verified', userId: user.id, tacId: match.id, details: { useCount: tac.useCount, oneTime: tac.oneTime } });
      return { valid: true, user: summarize(user), tac };
    });
  }

  /** Compares against every TAC of the user in constant time each, without stopping early. */
  private findMatch(userId: string, submitted: string): TacRecord | undefined {
    const digests = new Map<boolean, string>();
    const digest = (caseSensitive: boolean) => {
      let d = digests.get(caseSensitive);
      if (d === undefined) digests.set(caseSensitive, (d = this.hasher.hash(userId, normalizeCode(submitted, caseSensitive))));
      return d;
    };
    let match: TacRecord | undefined;
    for (const t of this.store.iterateTacs({ userId })) {
      if (digestsEqual(digest(t.caseSensitive), t.codeHash) && !match) match = t;
    }
    return submitted.trim() ? match : undefined;
  }

  private countFailure(user: User, policy: Policy, now: Date): Verdict {
    // A lock that has run out starts the count again from zero.
    const previous = user.lockedUntil ? 0 : user.failedAttempts;
    const failedAttempts = previous + 1;
    const consecutiveFailures = user.consecutiveFailures + 1;
    // The hard cap: past it no lock runs out by itself (NIST SP 800-63B §5.2.2).
    const capped = consecutiveFailures >= policy.maxConsecutiveFailures;
    const lock = capped || failedAttempts >= policy.maxFailedAttempts;
    const lockedUntil = capped ? LOCKED_UNTIL_UNLOCKED : lock ? iso(addMinutes(now, policy.lockoutDuration)) : null;
    this.store.updateUser(user.id, { failedAttempts, consecutiveFailures, lockedUntil, updatedAt: iso(now) });
    const verdict = this.refuse('invalid_code', user.id, null, { failedAttempts, consecutiveFailures });
    if (lock) {
      const reason = capped ? 'too_many_consecutive_failures' : 'too_many_failed_attempts';
      this.audit({ action: 'user.locked_out', userId: user.id, outcome: 'failure', reason, details: { failedAttempts, consecutiveFailures, lockedUntil } });
    }
    return verdict;
  }

  private refuse(reason: VerifyReason, userId: string | null, tacId: string | null = null, details: Record<string, unknown> = {}): Verdict {
    this.audit({ action: 'tac.verify_failed', userId, tacId, outcome: 'failure', reason, details });
    return { valid: false, reason };
  }

  // ---- guests ---------------------------------------------------------------------------------

  /** Creates a guest and issues their first TAC in one transaction: never a guest without a code. */
  createGuest(input: GuestInput): IssuedTac {
    return this.store.transaction(() => this.createGuestRow(input, ''));
  }

  private createGuestRow(input: GuestInput, fieldPrefix: string, purged = false): IssuedTac {
    // The TAC's terms are checked before anything is written (the transaction would roll back anyway).
    const policy = this.getPolicy();
    const now = this.clock.now();
    const terms = this.issueTerms(policy, input, now);
    const user = this.createUser({ ...input, guest: true }, 'guest.created', fieldPrefix);
    return this.issueWith(policy, user, terms, now, { purged, newUser: true });
  }

  /**
   * Imports one batch of already-validated guest rows in one transaction. A row whose email
   * exists is skipped, re-issued (guests only) or fails the batch, as `onExisting` says.
   */
  importGuestBatch(rows: { line: number; input: GuestInput }[], onExisting: 'fail' | 'skip' | 'reissue'): GuestImportResult[] {
    return this.store.transaction(() => {
      // Finished TACs are purged whenever codes are issued: here once per batch (one transaction),
      // not once per row, which scanned for purgeable TACs thousands of times per import.
      const policy = this.getPolicy();
      this.purgeFinished(policy, this.clock.now());
      return this.importNewGuests(rows, onExisting, policy) ?? rows.map(({ line, input }) => {
        const existing = this.existingFor(input.email);
        if (!existing) return { line, status: 'created' as const, tac: this.createGuestRow(input, `line ${line}: `, true) };
        if (onExisting === 'skip') return { line, status: 'skipped' as const, email: existing.email };
        if (onExisting === 'reissue' && existing.guest) return { line, status: 'reissued' as const, tac: this.issueFor(existing, input, { purged: true }) };
        throw new TacError('conflict', `line ${line}: email "${existing.email}" already belongs to ${existing.guest ? 'guest' : 'user'} ${existing.username}${existing.guest ? ' (use --on-existing skip or reissue)' : ''}`, { field: `line ${line}` });
      });
    });
  }

  /**
   * The common case of a guest batch in a few statements instead of several per row: every row is
   * a valid new guest that clashes with nothing (or an existing email under `skip`). Returns
   * undefined, having written nothing and drawn no code, when any row is not (a reissue, a clash,
   * an invalid value, two rows for one account): the caller then imports the batch row by row,
   * which does or reports exactly what it always did. One instant for the whole batch.
   */
  private importNewGuests(rows: { line: number; input: GuestInput }[], onExisting: OnExisting, policy: Policy): GuestImportResult[] | undefined {
    const now = this.clock.now();
    const existing = this.store.usersByEmail(rows.map(({ input }) => emailKey(input.email)));
    const results: GuestImportResult[] = new Array(rows.length);
    const planned: { i: number; n: ReturnType<typeof normalizeNewUser>; terms: IssueTerms }[] = [];
    const seen = new Set<string>();
    const usernames: string[] = [];
    const phones: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      const { line, input } = rows[i]!;
      const ex = existing.get(emailKey(input.email));
      if (ex) {
        if (onExisting !== 'skip') return undefined;
        results[i] = { line, status: 'skipped', email: ex.email };
        continue;
      }
      let n: ReturnType<typeof normalizeNewUser>;
      try {
        n = normalizeNewUser({ ...input, guest: true }, `line ${line}: `, policy.phoneRegion);
        planned.push({ i, n, terms: this.issueTerms(policy, input, now) });
      } catch {
        return undefined;
      }
      const username = n.username.toLowerCase();
      const keys = [`email\u0000${n.email}`, `username\u0000${username}`, n.phone ? `phone\u0000${n.phone}` : ''];
      for (const k of keys) {
        if (!k) continue;
        if (seen.has(k)) return undefined;
        seen.add(k);
      }
      usernames.push(username);
      if (n.phone) phones.push(n.phone);
    }
    if (this.store.anyTaken(usernames, phones)) return undefined;

    const users: User[] = [];
    const tacs: TacRecord[] = [];
    const audit: NewAuditEvent[] = [];
    for (const { i, n, terms } of planned) {
      const user = newUserRecord(n, now);
      const { record, event, issued } = this.newTac(policy, user, terms, now);
      users.push(user);
      tacs.push(record);
      audit.push(this.auditEvent(userCreated(user, 'guest.created'), user.createdAt), this.auditEvent(event, user.createdAt));
      results[i] = { line: rows[i]!.line, status: 'created', tac: issued };
    }
    this.store.insertMany({ users, tacs, audit });
    return results;
  }

  importUserBatch(rows: { line: number; input: NewUserInput }[], onExisting: 'fail' | 'skip'): UserImportResult[] {
    return this.store.transaction(() =>
      rows.map(({ line, input }) => {
        const existing = this.existingFor(input.email);
        if (existing && onExisting === 'skip') return { line, status: 'skipped' as const, email: existing.email };
        return { line, status: 'created' as const, user: this.createUser(input, input.guest ? 'guest.created' : 'user.created', `line ${line}: `) };
      }),
    );
  }

  private existingFor(email: string): User | undefined {
    return this.store.findUser('email', emailKey(email));
  }

  /** Which of these emails already belong to a user (import pre-checks): one query. */
  existingEmails(emails: string[]): { email: string; guest: boolean; username: string }[] {
    const found = this.store.usersByEmail(emails.map(emailKey));
    return emails.flatMap((e) => {
      const u = found.get(emailKey(e));
      return u ? [{ email: u.email, guest: u.guest, username: u.username }] : [];
    });
  }

  // ---- purge and audit ------------------------------------------------------------------------

  purge(dryRun = false): PurgeResult {
    return this.store.transaction(() => {
      const now = this.clock.now();
      const policy = this.getPolicy();
      if (dryRun) return { purged: 0, dryRun: true, tacIds: this.purgeable(policy, now).map((t) => t.id) };
      const ids = this.purgeFinished(policy, now);
      return { purged: ids.length, dryRun: false, tacIds: ids };
    });
  }

  private purgeable(policy: Policy, now: Date): TacRecord[] {
    const cutoff = addMinutes(now, -policy.purgeAfterDays * 1440);
    return this.store.purgeCandidates(iso(cutoff)).filter((t) => {
      const ended = endedAt(t, now);
      return ended !== null && Date.parse(ended) <= cutoff.getTime();
    });
  }

  private purgeFinished(policy: Policy, now: Date): string[] {
    const ids = this.purgeable(policy, now).map((t) => t.id);
    if (ids.length) {
      this.store.deleteTacs(ids);
      this.audit({ action: 'tac.purged', details: { count: ids.length, purgeAfterDays: policy.purgeAfterDays, tacIds: ids.slice(0, 100) } });
    }
    return ids;
  }

  queryAudit(q: { user?: string; action?: string; since?: string; limit?: number } = {}): AuditEvent[] {
    if (q.action !== undefined && !AUDIT_ACTIONS.includes(q.action as AuditAction)) {
      throw invalid('--action', `must be one of ${AUDIT_ACTIONS.join(', ')}`);
    }
    let userId: string | undefined;
    if (q.user !== undefined) {
      // A deleted user's events stay queryable by their id.
      userId = detectUserRef(q.user).kind === 'id' ? q.user.trim() : this.resolveUser(q.user).id;
    }
    if (q.since !== undefined && Number.isNaN(Date.parse(q.since))) throw invalid('--since', 'is not a valid time');
    return this.store.queryAudit({
      userId, action: q.action as AuditAction | undefined, since: q.since === undefined ? undefined : iso(new Date(q.since)),
      limit: checkLimit(q.limit, 100, 100_000),
    });
  }

  /** Records an event by an outside layer (e.g. agent management on the server). */
  recordEvent(e: Pick<NewAuditEvent, 'action' | 'details'> & Partial<NewAuditEvent>): void {
    this.audit(e);
  }

  private audit(e: AuditInput): void {
    this.store.appendAudit(this.auditEvent(e));
  }

  private auditEvent(e: AuditInput, at = iso(this.clock.now())): NewAuditEvent {
    return { at, actor: this.actor, userId: null, tacId: null, outcome: 'success', reason: null, details: {}, ...e };
  }
}

type AuditInput = Pick<NewAuditEvent, 'action'> & Partial<NewAuditEvent>;
type IssueTerms = ReturnType<TacService['issueTerms']>;

function newUserRecord(n: ReturnType<typeof normalizeNewUser>, now: Date): User {
  const at = stamp(now);
  return {
    id: newId('usr', now), username: n.username, email: n.email, phone: n.phone, name: n.name, guest: n.guest,
    disabled: false, failedAttempts: 0, consecutiveFailures: 0, lockedUntil: null, createdAt: at, updatedAt: at,
  };
}

/**
 * iso() remembering two instants, not one: an import batch formats its time and its codes' expiry
 * (one instant per TTL) for every row, which alternating between them made a new string each time.
 */
const stamps = { ms: [NaN, NaN], text: ['', ''] };
function stamp(d: Date): string {
  const ms = d.getTime();
  if (ms === stamps.ms[0]) return stamps.text[0]!;
  if (ms !== stamps.ms[1]) {
    stamps.ms[1] = ms;
    stamps.text[1] = d.toISOString();
  }
  // The latest first.
  stamps.ms.reverse();
  stamps.text.reverse();
  return stamps.text[0]!;
}

const userCreated = (user: User, action: 'user.created' | 'guest.created'): AuditInput => (
  { action, userId: user.id, details: { username: user.username, email: user.email, guest: user.guest } }
);

/** How an import looks an email up: trimmed, lower-case; a value that is not a string finds no one. */
function emailKey(email: unknown): string {
  try {
    return String(email).trim().toLowerCase();
  } catch {
    return '';
  }
}

function first<T>(it: Iterable<T>): T | undefined {
  for (const x of it) return x;
  return undefined;
}

export function checkLimit(limit: number | undefined, dflt: number, max = MAX_LIST_LIMIT): number {
  if (limit === undefined) return dflt;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > max) throw invalid('--limit', `must be a whole number from 1 to ${max}`);
  return limit;
}


function policyDiff(a: Policy, b: Policy): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  const flat = (p: Policy) => ({ ...p, ...Object.fromEntries(Object.entries(p.complexity).map(([k, v]) => [`complexity.${k}`, v])), complexity: undefined });
  const fa = flat(a) as Record<string, unknown>;
  const fb = flat(b) as Record<string, unknown>;
  for (const k of Object.keys(fb)) if (k !== 'complexity' && fa[k] !== fb[k]) out[k] = { from: fa[k], to: fb[k] };
  return out;
}

