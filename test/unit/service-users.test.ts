import { beforeEach, describe, expect, it } from 'vitest';
import { detectUserRef, normalizeNewUser } from '../../src/core/users.js';
import { catchTacError, makeService, usersCount, type Harness } from './helpers.js';

describe('detectUserRef', () => {
  it.each([
    ['usr_abcdefghijklmnop', 'id', 'usr_abcdefghijklmnop'],
    ['Alice@Example.COM', 'email', 'alice@example.com'],
    ['+1 (555) 123-4567', 'phone', '+15551234567'],
    // Without a default region a number without a country code has no canonical form: a username.
    ['0612345678', 'username', '0612345678'],
    ['alice', 'username', 'alice'],
    ['alice.smith', 'username', 'alice.smith'],
    ['usr_short', 'username', 'usr_short'],
    ['  bob  ', 'username', 'bob'],
  ])('%j is a %s', (ref, kind, value) => {
    expect(detectUserRef(ref)).toEqual({ kind, value });
  });

  it.each([
    ['0612345678', 'FR', '+33612345678'],
    ['06 12 34 56 78', 'FR', '+33612345678'],
    ['0044 20 7946 0958', 'FR', '+442079460958'],
    ['(555) 123-4567', 'US', '+15551234567'],
    ['1 555 123 4567', 'US', '+15551234567'],
    ['+1 555 123 4567', 'DE', '+15551234567'],
  ])('%j in region %s is the phone %s', (ref, region, value) => {
    expect(detectUserRef(ref, () => region)).toEqual({ kind: 'phone', value });
  });

  it('asks for the region only for refs that look like phone numbers', () => {
    let asked = 0;
    const region = () => (asked++, 'US');
    for (const ref of ['alice', 'alice@example.com', 'usr_abcdefghijklmnop', '+15551234567']) detectUserRef(ref, region);
    expect(asked).toBe(1);
  });
});

describe('phone numbers: one canonical form (E.164)', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeService();
  });

  it('a number with and without + (in the default region) is one user: no second user, and lookups find the first', () => {
    h.service.updatePolicy({ phoneRegion: 'US' });
    const alice = h.service.addUser({ username: 'alice', email: 'alice@example.com', phone: '+1 555 123 4567' });
    expect(alice.phone).toBe('+15551234567');
    for (const typed of ['15551234567', '(555) 123-4567', '+15551234567', '555.123.4567']) {
      const err = catchTacError(() => h.service.addUser({ guest: true, email: `g${typed.length}@example.com`, phone: typed }), 'conflict');
      expect(err.field, typed).toBe('phone');
      expect(h.service.resolveUser(typed).id, typed).toBe(alice.id);
    }
    expect(usersCount(h.db)).toBe(1);
  });

  it('the issue: a provisioner cannot create a guest whose phone resolves before alice, so verify by phone stays alice\'s', () => {
    h.service.updatePolicy({ phoneRegion: 'US' });
    h.service.addUser({ username: 'alice', email: 'alice@example.com', phone: '+15551234567' });
    catchTacError(() => h.service.createGuest({ email: 'mallory@example.com', phone: '15551234567' }), 'conflict');
    const { code } = h.service.issueTac({ verifiedBy: 'callback', user: '15551234567' });
    expect(h.service.verify('555-123-4567', code)).toMatchObject({ valid: true, user: { username: 'alice' } });
  });

  it('without a default region a number without a country code is refused with one line saying how to fix it', () => {
    const err = catchTacError(() => h.service.addUser({ username: 'bob', email: 'bob@example.com', phone: '5551234567' }), 'invalid_value');
    expect(err.field).toBe('phone');
    expect(err.message).toBe('phone: "5551234567" has no country code: write it with + and the country code (e.g. +1 555 123 4567), or set a default region (tac policy set --phone-region US)');
    expect(usersCount(h.db)).toBe(0);
  });

  it('refuses numbers that cannot be made canonical, naming the field', () => {
    h.service.updatePolicy({ phoneRegion: 'GB' });
    expect(catchTacError(() => h.service.addUser({ username: 'c', email: 'c@example.com', phone: '+1 555' }), 'invalid_value').message)
      .toBe('phone: "+1 555" is not a possible phone number');
    expect(catchTacError(() => h.service.addUser({ username: 'c', email: 'c@example.com', phone: '123' }), 'invalid_value').message)
      .toMatch(/^phone: "123" is not a phone number/);
    expect(catchTacError(() => h.service.addUser({ username: 'c', email: 'c@example.com', phone: '1-800-FLOWERS' }), 'invalid_value').field).toBe('phone');
    expect(usersCount(h.db)).toBe(0);
  });

  it('phoneRegion is an ISO 3166 code with numbering rules, or null; lower case is accepted', () => {
    expect(h.service.updatePolicy({ phoneRegion: 'de' }).phoneRegion).toBe('DE');
    expect(catchTacError(() => h.service.updatePolicy({ phoneRegion: 'XX' }), 'invalid_value').field).toBe('phoneRegion');
    expect(catchTacError(() => h.service.updatePolicy({ phoneRegion: 'USA' }), 'invalid_value').field).toBe('phoneRegion');
    expect(h.service.updatePolicy({ phoneRegion: null }).phoneRegion).toBeNull();
  });

  it('guest imports store canonical numbers and see clashes across forms', () => {
    h.service.updatePolicy({ phoneRegion: 'US' });
    h.service.addUser({ username: 'alice', email: 'alice@example.com', phone: '+15551234567' });
    const rows = [{ line: 2, input: { email: 'g1@example.com', phone: '555 123 9999' } }, { line: 3, input: { email: 'g2@example.com', phone: '1 555 123 4567' } }];
    expect(catchTacError(() => h.service.importGuestBatch(rows, 'fail'), 'conflict').message).toMatch(/^line 3: phone/);
    const ok = h.service.importGuestBatch([rows[0]!], 'fail');
    expect(h.service.showUser(ok[0]!.status === 'created' ? ok[0]!.tac.user.id : '').phone).toBe('+15551239999');
  });
});

describe('users', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeService();
  });

  it('adds a user, normalizing email and phone, and audits it', () => {
    const u = h.service.addUser({ username: 'Alice', email: ' Alice@Example.com ', phone: '+44 20 7946 0958', name: ' Alice A ' });
    expect(u).toMatchObject({
      username: 'Alice', email: 'alice@example.com', phone: '+442079460958', name: 'Alice A', guest: false, disabled: false,
      failedAttempts: 0, consecutiveFailures: 0, lockedUntil: null, createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(u.id).toMatch(/^usr_[a-z2-7]{16}$/);
    expect(h.store.getUser(u.id)).toEqual(u);
    expect(h.service.queryAudit({ action: 'user.created' })[0]).toMatchObject({ userId: u.id, actor: h.actor, details: { username: 'Alice', guest: false } });
  });

  it('refuses a duplicate username or email, case-insensitively, with a conflict (exit 5)', () => {
    h.service.addUser({ username: 'Alice', email: 'alice@example.com', phone: '+15551234567' });
    const byName = catchTacError(() => h.service.addUser({ username: 'aLICE', email: 'other@example.com' }), 'conflict');
    expect(byName.exitCode).toBe(5);
    expect(byName.field).toBe('username');
    const byEmail = catchTacError(() => h.service.addUser({ username: 'alice2', email: 'ALICE@EXAMPLE.COM' }), 'conflict');
    expect(byEmail.field).toBe('email');
    expect(catchTacError(() => h.service.addUser({ username: 'alice3', email: 'a3@example.com', phone: '+1 555 123 4567' }), 'conflict').field).toBe('phone');
    expect(usersCount(h.db)).toBe(1);
  });

  it('the store itself refuses case-variant duplicates', () => {
    const u = h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    expect(() => h.store.insertUser({ ...u, id: 'usr_bbbbbbbbbbbbbbbb', username: 'ALICE', email: 'x@example.com' })).toThrow();
    expect(() => h.store.insertUser({ ...u, id: 'usr_cccccccccccccccc', username: 'other', email: 'Alice@Example.com' })).toThrow();
  });

  it('validates input', () => {
    catchTacError(() => h.service.addUser({ email: 'alice@example.com' }), 'invalid_value');
    catchTacError(() => h.service.addUser({ username: 'alice', email: 'not-an-email' }), 'invalid_value');
    catchTacError(() => h.service.addUser({ username: 'alice', email: '' }), 'invalid_value');
    catchTacError(() => h.service.addUser({ username: 'al ice', email: 'alice@example.com' }), 'invalid_value');
    catchTacError(() => h.service.addUser({ username: 'usr_abcdefghijklmnop', email: 'alice@example.com' }), 'invalid_value');
    catchTacError(() => h.service.addUser({ username: 'alice', email: 'alice@example.com', phone: '12' }), 'invalid_value');
    catchTacError(() => h.service.addUser({ username: 'alice', email: 'alice@example.com', phone: '5551234567' }), 'invalid_value');
    catchTacError(() => h.service.addUser({ username: 'alice', email: 'alice@example.com', name: 'a\u0007b' }), 'invalid_value');
    expect(usersCount(h.db)).toBe(0);
  });

  it('a guest needs an email and their username defaults to it', () => {
    catchTacError(() => h.service.addUser({ guest: true } as never), 'invalid_value');
    const g = h.service.addUser({ guest: true, email: 'Visitor@Example.org' });
    expect(g).toMatchObject({ guest: true, email: 'visitor@example.org', username: 'visitor@example.org' });
    expect(normalizeNewUser({ guest: true, email: 'v@x.io', username: 'vis' }).username).toBe('vis');
    expect(h.service.queryAudit({ action: 'guest.created' })).toHaveLength(1);
    expect(h.service.resolveUser('visitor@example.org').id).toBe(g.id);
  });

  it('resolves a user by id, email, phone and username', () => {
    const u = h.service.addUser({ username: 'alice', email: 'alice@example.com', phone: '+15551234567' });
    h.service.addUser({ username: 'bob', email: 'bob@example.com' });
    for (const ref of [u.id, 'alice@example.com', 'ALICE@example.com', '+1 555-123-4567', '15551234567'.replace(/^/, '+'), 'alice', 'ALICE']) {
      expect(h.service.resolveUser(ref).id, ref).toBe(u.id);
    }
    catchTacError(() => h.service.resolveUser('carol'), 'not_found');
    catchTacError(() => h.service.resolveUser('usr_abcdefghijklmnop'), 'not_found');
    catchTacError(() => h.service.resolveUser('carol@example.com'), 'not_found');
    catchTacError(() => h.service.resolveUser(''), 'invalid_value');
  });

  it('finds a user whose username looks like a phone number', () => {
    const u = h.service.addUser({ username: '12345678', email: 'digits@example.com' });
    expect(h.service.resolveUser('12345678').id).toBe(u.id);
  });

  it('a disabled user cannot receive a TAC, nor verify, and disabling revokes the live TAC', () => {
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    const d = h.service.setUserDisabled('alice', true);
    expect(d.disabled).toBe(true);
    expect(h.service.getTac(issued.id)).toMatchObject({ status: 'revoked', revokedReason: 'user_disabled' });
    expect(h.service.queryAudit({ action: 'tac.revoked' })[0]).toMatchObject({ tacId: issued.id, reason: 'user_disabled' });
    expect(h.service.queryAudit({ action: 'user.disabled' })[0]).toMatchObject({ userId: d.id, details: { changed: true } });

    const err = catchTacError(() => h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' }), 'policy_violation');
    expect(err.exitCode).toBe(5);
    expect(h.service.verify('alice', issued.code)).toEqual({ valid: false, reason: 'user_disabled' });

    h.service.setUserDisabled('alice', false);
    const again = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    expect(h.service.verify('alice', again.code).valid).toBe(true);
  });

  it('shows a user with lock state and their current TAC (without the code)', () => {
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    expect(h.service.showUser('alice')).toMatchObject({ locked: false, currentTac: null });
    const first = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    const second = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    const shown = h.service.showUser('alice');
    expect(shown.currentTac).toMatchObject({ id: second.id, status: 'active' });
    expect(JSON.stringify(shown)).not.toContain(second.code);
    expect(JSON.stringify(shown)).not.toContain(first.code);
  });

  it('deleting a user revokes their TAC, deletes them and keeps the audit queryable by id', () => {
    const u = h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    h.service.deleteUser('alice');
    catchTacError(() => h.service.resolveUser('alice'), 'not_found');
    expect(h.store.getTac(issued.id)).toBeUndefined();
    const events = h.service.queryAudit({ user: u.id });
    expect(events.map((e) => e.action)).toEqual(['user.deleted', 'tac.revoked', 'tac.generated', 'user.created']);
    expect(events[1]!.reason).toBe('user_deleted');
  });

  it('searches users', () => {
    h.service.addUser({ username: 'alice', email: 'alice@example.com', name: 'Alice Liddell' });
    h.service.addUser({ username: 'bob', email: 'bob@example.com' });
    h.service.addUser({ guest: true, email: 'carol_100%@guests.example.org' });
    expect(h.service.searchUsers('LIDDELL').map((u) => u.username)).toEqual(['alice']);
    expect(h.service.searchUsers('example').map((u) => u.username)).toEqual(['alice', 'bob', 'carol_100%@guests.example.org']);
    expect(h.service.searchUsers('', { guestsOnly: true }).map((u) => u.username)).toEqual(['carol_100%@guests.example.org']);
    // % and _ are literal, not wildcards
    expect(h.service.searchUsers('%').map((u) => u.username)).toEqual(['carol_100%@guests.example.org']);
    expect(h.service.searchUsers('_').map((u) => u.username)).toEqual(['carol_100%@guests.example.org']);
    expect(h.service.searchUsers('', { limit: 2 })).toHaveLength(2);
    catchTacError(() => h.service.searchUsers('', { limit: 0 }), 'invalid_value');
  });
});

describe('guests', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeService();
  });

  it('createGuest creates the guest and issues their first TAC', () => {
    const issued = h.service.createGuest({ email: 'visitor@example.org', name: 'Visitor', ttl: 120 });
    expect(issued.user).toMatchObject({ username: 'visitor@example.org', email: 'visitor@example.org', guest: true, name: 'Visitor' });
    expect(issued.expiresAt).toBe('2026-01-01T02:00:00.000Z');
    expect(h.service.verify('visitor@example.org', issued.code).valid).toBe(true);
  });

  it('createGuest is atomic: a TTL outside the policy leaves no user behind', () => {
    const err = catchTacError(() => h.service.createGuest({ email: 'visitor@example.org', ttl: 5 }), 'policy_violation');
    expect(err.message).toContain('10');
    expect(err.message).toContain('480');
    expect(usersCount(h.db)).toBe(0);
    expect(h.service.findUser('visitor@example.org')).toBeUndefined();
    expect(h.service.queryAudit({})).toHaveLength(0);
  });

  it('createGuest is atomic when the TAC part fails after the user was written', () => {
    catchTacError(() => h.service.createGuest({ email: 'visitor@example.org', startsAt: 'not a time' }), 'invalid_value');
    catchTacError(() => h.service.createGuest({ email: 'visitor@example.org', oneTime: false }), 'policy_violation');
    expect(usersCount(h.db)).toBe(0);
    expect(h.service.queryAudit({})).toHaveLength(0);
    expect(h.service.createGuest({ email: 'visitor@example.org' }).user.guest).toBe(true);
  });

  it('importGuestBatch creates, skips and reissues', () => {
    const existing = h.service.createGuest({ email: 'old@example.org' });
    h.service.addUser({ username: 'staff', email: 'staff@example.com' });
    const created = h.service.importGuestBatch([
      { line: 2, input: { email: 'new1@example.org', name: 'New One' } },
      { line: 3, input: { email: 'OLD@example.org' } },
      { line: 4, input: { email: 'staff@example.com' } },
    ], 'skip');
    expect(created.map((r) => r.status)).toEqual(['created', 'skipped', 'skipped']);
    expect(created[1]).toEqual({ line: 3, status: 'skipped', email: 'old@example.org' });
    expect(h.service.getTac(existing.id).status).toBe('active');

    const reissued = h.service.importGuestBatch([
      { line: 2, input: { email: 'old@example.org', ttl: 30 } },
      { line: 3, input: { email: 'new2@example.org' } },
    ], 'reissue');
    expect(reissued.map((r) => r.status)).toEqual(['reissued', 'created']);
    const r0 = reissued[0] as { status: 'reissued'; tac: { id: string; code: string; expiresAt: string; user: { id: string } } };
    expect(r0.tac.user.id).toBe(existing.user.id);
    expect(r0.tac.expiresAt).toBe('2026-01-01T00:30:00.000Z');
    expect(h.service.getTac(existing.id)).toMatchObject({ status: 'revoked', revokedReason: 'replaced' });
    expect(h.service.verify('old@example.org', r0.tac.code).valid).toBe(true);
  });

  it('reissue refuses a non-guest with the same email and rolls back the whole batch', () => {
    h.service.addUser({ username: 'staff', email: 'staff@example.com' });
    catchTacError(() => h.service.importGuestBatch([
      { line: 2, input: { email: 'new1@example.org' } },
      { line: 3, input: { email: 'staff@example.com' } },
    ], 'reissue'), 'conflict');
    expect(h.service.findUser('new1@example.org')).toBeUndefined();
  });

  it('on-existing fail rolls back the whole batch', () => {
    const old = h.service.createGuest({ email: 'old@example.org' });
    const usersBefore = usersCount(h.db);
    const auditBefore = h.service.queryAudit({ limit: 100_000 }).length;
    const err = catchTacError(() => h.service.importGuestBatch([
      { line: 2, input: { email: 'new1@example.org' } },
      { line: 3, input: { email: 'new2@example.org' } },
      { line: 4, input: { email: 'old@example.org' } },
    ], 'fail'), 'conflict');
    expect(err.message).toContain('line 4');
    expect(usersCount(h.db)).toBe(usersBefore);
    expect(h.service.findUser('new1@example.org')).toBeUndefined();
    expect(h.service.listTacs()).toHaveLength(1);
    expect(h.service.getTac(old.id).status).toBe('active');
    expect(h.service.queryAudit({ limit: 100_000 })).toHaveLength(auditBefore);
  });

  it('a bad row (TTL outside policy) rolls back the whole batch and names the line', () => {
    catchTacError(() => h.service.importGuestBatch([
      { line: 2, input: { email: 'new1@example.org' } },
      { line: 3, input: { email: 'new2@example.org', ttl: 10_000 } },
    ], 'skip'), 'policy_violation');
    expect(usersCount(h.db)).toBe(0);
    const err = catchTacError(() => h.service.importGuestBatch([{ line: 7, input: { email: 'bad-email' } }], 'skip'), 'invalid_value');
    expect(err.message).toContain('line 7');
  });

  it('importUserBatch creates and skips, and rolls back on a conflict', () => {
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    const res = h.service.importUserBatch([
      { line: 2, input: { username: 'bob', email: 'bob@example.com' } },
      { line: 3, input: { username: 'alice2', email: 'alice@example.com' } },
    ], 'skip');
    expect(res.map((r) => r.status)).toEqual(['created', 'skipped']);
    catchTacError(() => h.service.importUserBatch([
      { line: 2, input: { username: 'carol', email: 'carol@example.com' } },
      { line: 3, input: { username: 'alice2', email: 'alice@example.com' } },
    ], 'fail'), 'conflict');
    expect(h.service.findUser('carol')).toBeUndefined();
    expect(h.service.existingEmails(['ALICE@example.com', 'nobody@example.com', 'bob@example.com'])).toEqual([
      { email: 'alice@example.com', guest: false, username: 'alice' },
      { email: 'bob@example.com', guest: false, username: 'bob' },
    ]);
  });
});
