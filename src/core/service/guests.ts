import { TacError } from '../errors.js';
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
  createGuest(input: GuestInput): IssuedTac {
    return this.store.transaction(() => createGuestRow(this, input, ''));
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
      purgeFinished(this, policy, this.clock.now());
      return importNewGuests(this, rows, onExisting, policy) ?? rows.map(({ line, input }) => {
        const existing = existingFor(this, input.email);
        if (!existing) return { line, status: 'created' as const, tac: createGuestRow(this, input, `line ${line}: `, true) };
        if (onExisting === 'skip') return { line, status: 'skipped' as const, email: existing.email };
        if (onExisting === 'reissue' && existing.guest) return { line, status: 'reissued' as const, tac: issueFor(this, existing, input, { purged: true }) };
        throw new TacError('conflict', `line ${line}: email "${existing.email}" already belongs to ${existing.guest ? 'guest' : 'user'} ${existing.username}${existing.guest ? ' (use --on-existing skip or reissue)' : ''}`, { field: `line ${line}` });
      });
    });
  }

  importUserBatch(rows: { line: number; input: NewUserInput }[], onExisting: 'fail' | 'skip'): UserImportResult[] {
    return this.store.transaction(() =>
      rows.map(({ line, input }) => {
        const existing = existingFor(this, input.email);
        if (existing && onExisting === 'skip') return { line, status: 'skipped' as const, email: existing.email };
        return { line, status: 'created' as const, user: createUser(this, input, input.guest ? 'guest.created' : 'user.created', `line ${line}: `) };
      }),
    );
  }

  /** Which of these emails already belong to a user (import pre-checks): one query. */
  existingEmails(emails: string[]): { email: string; guest: boolean; username: string }[] {
    const found = this.store.usersByEmail(emails.map(emailKey));
    return emails.flatMap((e) => {
      const u = found.get(emailKey(e));
      return u ? [{ email: u.email, guest: u.guest, username: u.username }] : [];
    });
  }
}

function createGuestRow(s: ServiceCore, input: GuestInput, fieldPrefix: string, purged = false): IssuedTac {
  // The TAC's terms are checked before anything is written (the transaction would roll back anyway).
  const policy = s.getPolicy();
  const now = s.clock.now();
  const terms = issueTerms(policy, input, now);
  const user = createUser(s, { ...input, guest: true }, 'guest.created', fieldPrefix);
  return issueWith(s, policy, user, terms, now, { purged, newUser: true });
}

/**
 * The common case of a guest batch in a few statements instead of several per row: every row is
 * a valid new guest that clashes with nothing (or an existing email under `skip`). Returns
 * undefined, having written nothing and drawn no code, when any row is not (a reissue, a clash,
 * an invalid value, two rows for one account): the caller then imports the batch row by row,
 * which does or reports exactly what it always did. One instant for the whole batch.
 */
function importNewGuests(s: ServiceCore, rows: { line: number; input: GuestInput }[], onExisting: OnExisting, policy: Policy): GuestImportResult[] | undefined {
  const now = s.clock.now();
  const existing = s.store.usersByEmail(rows.map(({ input }) => emailKey(input.email)));
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
  if (s.store.anyTaken(usernames, phones)) return undefined;

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
  s.store.insertMany({ users, tacs, audit });
  return results;
}

function existingFor(s: ServiceCore, email: string): User | undefined {
  return s.store.findUser('email', emailKey(email));
}

/** How an import looks an email up: trimmed, lower-case; a value that is not a string finds no one. */
function emailKey(email: unknown): string {
  try {
    return String(email).trim().toLowerCase();
  } catch {
    return '';
  }
}
