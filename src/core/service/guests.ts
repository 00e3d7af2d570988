import { TacError } from '../errors.js';
import { q, type Flow } from '../flow.js';
import type { Policy } from '../policy.js';
import type {
  GuestImportResult, GuestInput, IssuedTac, NewAuditEvent, NewUserInput, OnExisting, TacRecord, User, UserImportResult,
} from '../types.js';
import { normalizeNewUser } from '../users.js';
import { auditEvent, ServiceCore } from './core.js';
import { purgeFinished } from './purge-audit.js';
import { issueFor, issueTerms, issueWith, newTac, type IssueTerms } from './tacs.js';
import { createUser, newUserRecord, userCreated } from './users.js';

/** Guests (a user created with their first TAC) and batch imports of guests and users. */
export class GuestsPart extends ServiceCore {
  /** Creates a guest and issues their first TAC in one transaction: never a guest without a code. */
  *createGuest(input: GuestInput): Flow<IssuedTac> {
    return yield* this.transaction(() => createGuestRow(this, input, ''));
  }

  /**
   * Imports one batch of already-validated guest rows in one transaction. A row whose email
   * exists is skipped, re-issued (guests only) or fails the batch, as `onExisting` says.
   */
  *importGuestBatch(rows: { line: number; input: GuestInput }[], onExisting: 'fail' | 'skip' | 'reissue'): Flow<GuestImportResult[]> {
    return yield* this.transaction(() => importGuestsNow(this, rows, onExisting));
  }

  *importUserBatch(rows: { line: number; input: NewUserInput }[], onExisting: 'fail' | 'skip'): Flow<UserImportResult[]> {
    return yield* this.transaction(() => importUsersNow(this, rows, onExisting));
  }

  /** Which of these emails already belong to a user (import pre-checks): one query. */
  *existingEmails(emails: string[]): Flow<{ email: string; guest: boolean; username: string }[]> {
    const found = yield* q(this.store.usersByEmail(emails.map(emailKey)));
    return emails.flatMap((e) => {
      const u = found.get(emailKey(e));
      return u ? [{ email: u.email, guest: u.guest, username: u.username }] : [];
    });
  }
}

function* importGuestsNow(s: ServiceCore, rows: { line: number; input: GuestInput }[], onExisting: OnExisting): Flow<GuestImportResult[]> {
  // Finished TACs are purged whenever codes are issued: here once per batch (one transaction),
  // not once per row, which scanned for purgeable TACs thousands of times per import.
  const policy = yield* s.getPolicy();
  yield* purgeFinished(s, policy, s.clock.now());
  const fast = yield* importNewGuests(s, rows, onExisting, policy);
  if (fast) return fast;
  const results: GuestImportResult[] = [];
  for (const { line, input } of rows) {
    const existing = yield* existingFor(s, input.email);
    if (!existing) results.push({ line, status: 'created', tac: yield* createGuestRow(s, input, `line ${line}: `, true) });
    else if (onExisting === 'skip') results.push({ line, status: 'skipped', email: existing.email });
    else if (onExisting === 'reissue' && existing.guest) results.push({ line, status: 'reissued', tac: yield* issueFor(s, existing, input, { purged: true }) });
    else throw new TacError('conflict', `line ${line}: email "${existing.email}" already belongs to ${existing.guest ? 'guest' : 'user'} ${existing.username}${existing.guest ? ' (use --on-existing skip or reissue)' : ''}`, { field: `line ${line}` });
  }
  return results;
}

function* importUsersNow(s: ServiceCore, rows: { line: number; input: NewUserInput }[], onExisting: 'fail' | 'skip'): Flow<UserImportResult[]> {
  const results: UserImportResult[] = [];
  for (const { line, input } of rows) {
    const existing = yield* existingFor(s, input.email);
    if (existing && onExisting === 'skip') results.push({ line, status: 'skipped', email: existing.email });
    else results.push({ line, status: 'created', user: yield* createUser(s, input, input.guest ? 'guest.created' : 'user.created', `line ${line}: `) });
  }
  return results;
}

function* createGuestRow(s: ServiceCore, input: GuestInput, fieldPrefix: string, purged = false): Flow<IssuedTac> {
  // The TAC's terms are checked before anything is written (the transaction would roll back anyway).
  const policy = yield* s.getPolicy();
  const now = s.clock.now();
  const terms = issueTerms(policy, input, now);
  const user = yield* createUser(s, { ...input, guest: true }, 'guest.created', fieldPrefix);
  return yield* issueWith(s, policy, user, terms, now, { purged, newUser: true });
}

/**
 * The common case of a guest batch in a few statements instead of several per row: every row is
 * a valid new guest that clashes with nothing (or an existing email under `skip`). Returns
 * undefined, having written nothing and drawn no code, when any row is not (a reissue, a clash,
 * an invalid value, two rows for one account): the caller then imports the batch row by row,
 * which does or reports exactly what it always did. One instant for the whole batch.
 */
function* importNewGuests(s: ServiceCore, rows: { line: number; input: GuestInput }[], onExisting: OnExisting, policy: Policy): Flow<GuestImportResult[] | undefined> {
  const now = s.clock.now();
  const existing = yield* q(s.store.usersByEmail(rows.map(({ input }) => emailKey(input.email))));
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
      planned.push({ i, n, terms: issueTerms(policy, input, now) });
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
  if (yield* q(s.store.anyTaken(usernames, phones))) return undefined;

  const users: User[] = [];
  const tacs: TacRecord[] = [];
  const audit: NewAuditEvent[] = [];
  for (const { i, n, terms } of planned) {
    const user = newUserRecord(n, now);
    const { record, event, issued } = newTac(s, policy, user, terms, now);
    users.push(user);
    tacs.push(record);
    audit.push(auditEvent(s, userCreated(user, 'guest.created'), user.createdAt), auditEvent(s, event, user.createdAt));
    results[i] = { line: rows[i]!.line, status: 'created', tac: issued };
  }
  yield* q(s.store.insertMany({ users, tacs, audit }));
  return results;
}

function existingFor(s: ServiceCore, email: string): Flow<User | undefined> {
  return q(s.store.findUser('email', emailKey(email)));
}

/** How an import looks an email up: trimmed, lower-case; a value that is not a string finds no one. */
function emailKey(email: unknown): string {
  try {
    return String(email).trim().toLowerCase();
  } catch {
    return '';
  }
}
