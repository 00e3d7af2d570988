import { DEFAULT_POLICY, type Policy, type PolicyPatch } from '../core/policy.js';
import type {
  AuditEvent, GuestImportResult, GuestInput, IssuedTac, IssuedTacView, IssueInput, ListedTac, NewUserInput, OnExisting, PurgeResult, Tac,
  TacListQuery, User, UserDetailsView, UserImportResult, UserView, VerdictView,
} from '../core/types.js';

export interface AuditFilter {
  user?: string;
  action?: string;
  /** ISO time. */
  since?: string;
  limit?: number;
}

/**
 * A policy as a backend shows it: tac's own engine has every field; a provider omits each setting
 * it does not have (absent in --json, "not offered" in a table), rather than inventing a value.
 */
export type PolicyView = Partial<Omit<Policy, 'complexity'>> & { complexity?: Partial<Policy['complexity']> };

/** Whether a view is a whole tac policy (tac's engine) rather than a provider's subset. */
export const isFullPolicy = (p: PolicyView): p is Policy =>
  (Object.keys(DEFAULT_POLICY) as (keyof Policy)[]).every((k) => p[k] !== undefined) && Object.keys(DEFAULT_POLICY.complexity).every((k) => p.complexity?.[k as keyof Policy['complexity']] !== undefined);

export interface ImportRow<T> {
  line: number;
  input: T;
}

/**
 * What every command calls. Async and plain data in and out, so that the local backend (core +
 * SQLite in this process), the remote backend (HTTP to `tac serve`) and the identity providers
 * (src/backends/<provider>/) are interchangeable: commands never ask which one they have. A
 * provider without an operation rejects it with the `unsupported` error (see unsupported.ts).
 */
export interface Backend {
  /** 'remote': over HTTP (tac serve or a provider). */
  readonly kind: 'local' | 'remote';
  /** The database path or server URL, for messages. */
  readonly location: string;

  addUser(input: NewUserInput): Promise<User>;
  importUsers(rows: ImportRow<NewUserInput>[], onExisting: 'fail' | 'skip'): Promise<UserImportResult[]>;
  existingEmails(emails: string[]): Promise<{ email: string; guest: boolean; username: string }[]>;
  searchUsers(query: string, opts?: { guestsOnly?: boolean; limit?: number }): Promise<UserView[]>;
  showUser(ref: string): Promise<UserDetailsView>;
  unlockUser(ref: string): Promise<User>;
  setUserDisabled(ref: string, disabled: boolean): Promise<User>;
  deleteUser(ref: string): Promise<User>;

  issueTac(input: IssueInput): Promise<IssuedTacView>;
  listTacs(q: TacListQuery): Promise<ListedTac[]>;
  revokeTac(id: string): Promise<{ tac: Tac; changed: boolean }>;
  revokeUserTacs(ref: string): Promise<Tac[]>;
  verify(ref: string, code: string): Promise<VerdictView>;

  getPolicy(): Promise<PolicyView>;
  updatePolicy(patch: PolicyPatch): Promise<PolicyView>;
  replacePolicy(policy: unknown): Promise<PolicyView>;
  resetPolicy(): Promise<PolicyView>;

  createGuest(input: GuestInput): Promise<IssuedTac>;
  importGuests(rows: ImportRow<GuestInput>[], onExisting: OnExisting): Promise<GuestImportResult[]>;

  queryAudit(q: AuditFilter): Promise<AuditEvent[]>;
  purge(dryRun: boolean): Promise<PurgeResult>;

  close(): Promise<void>;
}

/** Who a remote backend's credentials act as: `tac whoami` and `tac login` show it. */
export interface Identity {
  provider: string;
  /** null for an API token, which acts as the admin who made it rather than as an app. */
  clientId: string | null;
  /** The agent's name and role on tac serve; null where a provider has no such notion. */
  name: string | null;
  role: string | null;
  scopes: string[];
  /** null for an API token, which has no expiry tac can know (Okta's lapse after 30 days unused). */
  tokenExpiresAt: string | null;
}

/** A backend reached with client credentials: tac serve or an identity provider. */
export interface ConnectedBackend extends Backend {
  /** Proves the credentials with a real call and says whom they act as. */
  identity(): Promise<Identity>;
}
