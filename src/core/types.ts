/** Plain data shapes shared by the core, the store, the backends and the JSON output. */

/**
 * A user as any backend shows it. An identity provider may lack tac's own fields (guest flag,
 * failure counters) or a user may have no email or username there: those are null, never invented.
 * The engine's `User` narrows it to what tac itself always knows.
 */
export interface UserView {
  id: string;
  username: string | null;
  email: string | null;
  phone: string | null;
  name: string | null;
  guest: boolean | null;
  disabled: boolean;
  /** Failed attempts towards the next timed lockout (policy maxFailedAttempts). */
  failedAttempts: number | null;
  /**
   * Failed attempts since an agent last unlocked the user or they last signed in with a one-time
   * code; at policy maxConsecutiveFailures the user is locked until unlocked.
   */
  consecutiveFailures: number | null;
  /** ISO time until which verification is refused, or null; LOCKED_UNTIL_UNLOCKED: until an agent unlocks. */
  lockedUntil: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface User extends UserView {
  createdAt: string;
  updatedAt: string;
  username: string;
  email: string;
  guest: boolean;
  failedAttempts: number;
  consecutiveFailures: number;
}

export type TacStatus = 'pending' | 'active' | 'expired' | 'used' | 'revoked';
export const TAC_STATUSES: readonly TacStatus[] = ['pending', 'active', 'expired', 'used', 'revoked'];

export type RevokeReason = 'replaced' | 'deleted' | 'user_disabled' | 'user_deleted';

/** A TAC as stored. `codeHash` never leaves the core and the store. */
export interface TacRecord {
  id: string;
  userId: string;
  codeHash: string;
  caseSensitive: boolean;
  createdAt: string;
  startsAt: string;
  expiresAt: string;
  oneTime: boolean;
  useCount: number;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedReason: RevokeReason | null;
  reason: string | null;
  createdBy: string;
}

/** A TAC as shown to anyone: no hash, status derived at read time. */
export interface Tac {
  id: string;
  userId: string;
  status: TacStatus;
  createdAt: string;
  startsAt: string;
  expiresAt: string;
  oneTime: boolean;
  useCount: number;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedReason: RevokeReason | null;
  reason: string | null;
  createdBy: string;
}

/** A TAC in a listing, with who it belongs to (null only if the user vanished mid-read). */
export interface ListedTac extends Tac {
  user: UserSummary | null;
}

export interface UserSummary {
  id: string;
  username: string;
  email: string;
  name: string | null;
  guest: boolean;
}

/** A UserSummary from any backend (see UserView for why fields may be null). */
export interface UserSummaryView {
  id: string;
  username: string | null;
  email: string | null;
  name: string | null;
  guest: boolean | null;
}

/** What `users show` prints: the profile, lock state and the current TAC if any. */
export interface UserDetails extends User {
  locked: boolean;
  currentTac: Tac | null;
}

/** `users show` from any backend: `locked` is null where the provider does not say. */
export interface UserDetailsView extends UserView {
  locked: boolean | null;
  currentTac: Tac | null;
}

/** The only shape that ever carries a code: returned once by issue, guest create and guest import. */
export interface IssuedTac {
  id: string;
  code: string;
  status: TacStatus;
  startsAt: string;
  expiresAt: string;
  oneTime: boolean;
  user: UserSummary;
}

/**
 * An issued code from any backend, same JSON shape. A provider may give no TAC id, no expiry (its
 * own default applies) or not say whether the code is one-time: those are null.
 */
export interface IssuedTacView {
  id: string | null;
  code: string;
  status: TacStatus;
  startsAt: string;
  expiresAt: string | null;
  oneTime: boolean | null;
  user: UserSummaryView;
}

export type VerifyReason =
  | 'unknown_user'
  | 'user_disabled'
  | 'locked_out'
  | 'tacs_disabled'
  | 'invalid_code'
  | 'not_yet_valid'
  | 'expired'
  | 'already_used'
  | 'revoked';

export type Verdict =
  | { valid: true; user: UserSummary; tac: Tac }
  | { valid: false; reason: VerifyReason; lockedUntil?: string };

/** A Verdict from any backend: a provider that accepts a code may not describe the TAC (null). */
export type VerdictView =
  | { valid: true; user: UserSummaryView; tac: Tac | null }
  | { valid: false; reason: VerifyReason; lockedUntil?: string };

export type AuditAction =
  | 'user.created'
  | 'user.disabled'
  | 'user.enabled'
  | 'user.deleted'
  | 'user.unlocked'
  | 'user.locked_out'
  | 'tac.generated'
  | 'tac.revoked'
  | 'tac.verified'
  | 'tac.verify_failed'
  | 'tac.purged'
  | 'policy.updated'
  | 'guest.created'
  | 'agent.created'
  | 'agent.revoked';

export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'user.created', 'user.disabled', 'user.enabled', 'user.deleted', 'user.unlocked', 'user.locked_out',
  'tac.generated', 'tac.revoked', 'tac.verified', 'tac.verify_failed', 'tac.purged', 'policy.updated',
  'guest.created', 'agent.created', 'agent.revoked',
];

export interface AuditEvent {
  id: number;
  at: string;
  actor: string;
  action: AuditAction;
  userId: string | null;
  tacId: string | null;
  outcome: 'success' | 'failure';
  reason: string | null;
  details: Record<string, unknown>;
}

export type NewAuditEvent = Omit<AuditEvent, 'id'>;

export interface AuditQuery {
  userId?: string;
  action?: AuditAction;
  since?: string;
  limit: number;
}

export type IdentityVerification = 'security-questions' | 'callback' | 'manager-approval' | 'in-person' | 'id-document' | 'other';
export const VERIFICATION_METHODS: readonly IdentityVerification[] = [
  'security-questions', 'callback', 'manager-approval', 'in-person', 'id-document', 'other',
];

export interface IssueInput {
  user: string;
  ttl?: number;
  startsAt?: string;
  oneTime?: boolean;
  reason?: string;
  verifiedBy?: IdentityVerification;
  verificationNote?: string;
}

export interface NewUserInput {
  username?: string;
  email: string;
  phone?: string | null;
  name?: string | null;
  guest?: boolean;
}

export interface GuestInput {
  email: string;
  name?: string | null;
  username?: string;
  phone?: string | null;
  ttl?: number;
  startsAt?: string;
  oneTime?: boolean;
}

export type OnExisting = 'fail' | 'skip' | 'reissue';

/** One row's outcome in a guest import batch. */
export type GuestImportResult =
  | { line: number; status: 'created' | 'reissued'; tac: IssuedTac }
  | { line: number; status: 'skipped'; email: string };

export type UserImportResult = { line: number; status: 'created'; user: User } | { line: number; status: 'skipped'; email: string };

export interface PurgeResult {
  purged: number;
  dryRun: boolean;
  tacIds: string[];
}

export interface TacListQuery {
  user?: string;
  status?: TacStatus | 'all';
  limit?: number;
}
