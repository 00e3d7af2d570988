import { beforeEach, describe, expect, it } from 'vitest';
import { addMinutes, iso } from '../../src/core/clock.js';
import { hmacHasher, normalizeCode } from '../../src/core/codes.js';
import { allStoredCells, catchTacError, containsCode, DEFAULT_ALPHABET, makeService, scriptedRandom, type Harness } from './helpers.js';

describe('a code is shown once and stored only as an HMAC', () => {
  it('nothing stored, listed, shown or audited contains any issued code', () => {
    const h = makeService();
    const { service } = h;
    service.updatePolicy({ multiUseAllowed: true });
    service.addUser({ username: 'alice', email: 'alice@example.com', phone: '+15551234567', name: 'Alice A' });
    service.addUser({ username: 'bob', email: 'bob@example.com' });

    const codes: string[] = [];
    const a1 = service.issueTac({ verifiedBy: 'callback',  user: 'alice', reason: 'lost phone', verifiedBy: 'callback', verificationNote: 'called back on file number' });
    codes.push(a1.code);
    expect(a1.code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
    expect(service.verify('alice', 'WRONG999').valid).toBe(false);
    expect(service.verify('alice', a1.code).valid).toBe(true);
    expect(service.verify('alice', a1.code)).toMatchObject({ valid: false, reason: 'already_used' });
    const a2 = service.issueTac({ verifiedBy: 'callback',  user: 'alice', startsAt: iso(addMinutes(h.clock.now(), 30)) });
    codes.push(a2.code);
    const a3 = service.issueTac({ verifiedBy: 'callback',  user: 'alice', oneTime: false }); // replaces a2
    codes.push(a3.code);
    expect(service.verify('alice', a2.code)).toMatchObject({ valid: false, reason: 'revoked' });
    const b1 = service.issueTac({ verifiedBy: 'callback',  user: 'bob@example.com' });
    codes.push(b1.code);
    const g1 = service.createGuest({ email: 'guest@example.org', name: 'Visitor' });
    codes.push(g1.code);
    const [imp] = service.importGuestBatch([{ line: 2, input: { email: 'guest2@example.org' } }], 'fail');
    codes.push((imp as { tac: { code: string } }).tac.code);
    service.updatePolicy({ mixedCase: true, complexity: { specialCharacters: true }, length: 12 });
    const b2 = service.issueTac({ verifiedBy: 'callback',  user: 'bob', ttl: 30 });
    codes.push(b2.code);
    service.revokeTac(b2.id);
    service.setUserDisabled('alice', true);
    h.clock.advance(10_000);
    service.purge(true);

    expect(new Set(codes).size).toBe(codes.length);
    const cells = allStoredCells(h.db);
    expect(cells.length).toBeGreaterThan(50);
    expect(cells.some((c) => c.table === 'tacs' && c.column === 'code_hash')).toBe(true);
    for (const code of codes) {
      for (const cell of cells) {
        expect(containsCode(cell.value, code), `${cell.table}.${cell.column} holds a code`).toBe(false);
      }
    }

    const audit = service.queryAudit({ limit: 100_000 });
    expect(audit.length).toBeGreaterThan(15);
    const visible = JSON.stringify([
      audit,
      service.listTacs({ limit: 1000 }),
      service.listTacs({ user: 'alice', status: 'all' }),
      service.showUser('alice'),
      service.showUser('bob'),
      service.showUser('guest@example.org'),
      service.getTac(a1.id),
      service.searchUsers(''),
    ]);
    for (const code of codes) expect(containsCode(visible, code)).toBe(false);
    expect(visible).not.toContain('codeHash');
  });

  it('the IssuedTac carries the code, and the stored hash is HMAC-SHA-256(key, userId, normalized code)', () => {
    const h = makeService();
    const user = h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    expect(Object.keys(issued).sort()).toEqual(['code', 'expiresAt', 'id', 'oneTime', 'startsAt', 'status', 'user']);
    expect(issued.user).toEqual({ id: user.id, username: 'alice', email: 'alice@example.com', name: null, guest: false });
    const rec = h.store.getTac(issued.id)!;
    expect(rec.codeHash).toBe(hmacHasher(h.key).hash(user.id, normalizeCode(issued.code, false)));
    expect(rec.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.caseSensitive).toBe(false);

    h.service.updatePolicy({ mixedCase: true });
    const cs = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    const rec2 = h.store.getTac(cs.id)!;
    expect(rec2.caseSensitive).toBe(true);
    expect(rec2.codeHash).toBe(hmacHasher(h.key).hash(user.id, cs.code));
  });
});

describe('issuing', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeService();
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    h.service.addUser({ username: 'bob', email: 'bob@example.com' });
  });

  it('issues with the default TTL of 60 minutes, active now, one-time, and audits it', () => {
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', reason: 'new laptop', verifiedBy: 'in-person' });
    expect(issued.status).toBe('active');
    expect(issued.oneTime).toBe(true);
    expect(issued.startsAt).toBe('2026-01-01T00:00:00.000Z');
    expect(issued.expiresAt).toBe('2026-01-01T01:00:00.000Z');
    const tac = h.service.getTac(issued.id);
    expect(tac).toMatchObject({ status: 'active', reason: 'new laptop', createdBy: h.actor, useCount: 0, revokedAt: null });
    const [ev] = h.service.queryAudit({ action: 'tac.generated' });
    expect(ev).toMatchObject({ actor: h.actor, userId: issued.user.id, tacId: issued.id, outcome: 'success' });
    expect(ev!.details).toMatchObject({ ttl: 60, oneTime: true, verifiedBy: 'in-person', reason: 'new laptop' });
  });

  it('issuing revokes the previous active TAC as replaced', () => {
    const first = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    const other = h.service.issueTac({ verifiedBy: 'callback',  user: 'bob' });
    h.clock.advance(1);
    const second = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    expect(h.service.getTac(first.id)).toMatchObject({ status: 'revoked', revokedReason: 'replaced', revokedAt: '2026-01-01T00:01:00.000Z' });
    expect(h.service.getTac(second.id).status).toBe('active');
    expect(h.service.getTac(other.id).status).toBe('active');
    const revoked = h.service.queryAudit({ action: 'tac.revoked' });
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ tacId: first.id, userId: first.user.id, reason: 'replaced', actor: h.actor });
    expect(h.service.listTacs({ user: 'alice', status: 'active' }).map((t) => t.id)).toEqual([second.id]);
  });

  it('issuing revokes a previous pending TAC too', () => {
    const pending = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', startsAt: iso(addMinutes(h.clock.now(), 120)) });
    expect(pending.status).toBe('pending');
    h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    expect(h.service.getTac(pending.id)).toMatchObject({ status: 'revoked', revokedReason: 'replaced' });
    expect(h.service.queryAudit({ action: 'tac.revoked' })[0]).toMatchObject({ tacId: pending.id, reason: 'replaced' });
  });

  it('does not touch finished TACs when replacing', () => {
    const used = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    expect(h.service.verify('alice', used.code).valid).toBe(true);
    h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    expect(h.service.getTac(used.id)).toMatchObject({ status: 'used', revokedAt: null, revokedReason: null });
  });

  it('refuses a TTL outside [minTtl, maxTtl] with policy_violation naming both bounds', () => {
    for (const ttl of [9, 481, 43_201]) {
      const err = catchTacError(() => h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', ttl }), 'policy_violation');
      expect(err.exitCode).toBe(5);
      expect(err.message).toMatch(/\b10\b/);
      expect(err.message).toMatch(/\b480\b/);
    }
    expect(h.service.listTacs()).toHaveLength(0);
    expect(h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', ttl: 10 }).expiresAt).toBe('2026-01-01T00:10:00.000Z');
    expect(h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', ttl: 480 }).expiresAt).toBe('2026-01-01T08:00:00.000Z');
  });

  it('follows a changed policy range, up to the 30-day ceiling', () => {
    h.service.updatePolicy({ minTtl: 30, maxTtl: 43_200 });
    catchTacError(() => h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', ttl: 20 }), 'policy_violation');
    expect(h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', ttl: 43_200 }).expiresAt).toBe('2026-01-31T00:00:00.000Z');
    const err = catchTacError(() => h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', ttl: 43_201 }), 'policy_violation');
    expect(err.message).toContain('30');
    expect(err.message).toContain('43200');
  });

  it('refuses a TTL that is not a positive whole number', () => {
    for (const ttl of [0, -5, 12.5, Number.NaN]) catchTacError(() => h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', ttl }), 'invalid_value');
  });

  it('a future start is pending until then, active after, and expires at start + ttl', () => {
    const startsAt = iso(addMinutes(h.clock.now(), 120));
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', startsAt, ttl: 30 });
    expect(issued.status).toBe('pending');
    expect(issued.startsAt).toBe('2026-01-01T02:00:00.000Z');
    expect(issued.expiresAt).toBe('2026-01-01T02:30:00.000Z');
    expect(h.service.verify('alice', issued.code)).toMatchObject({ valid: false, reason: 'not_yet_valid' });
    h.clock.advance(119);
    expect(h.service.getTac(issued.id).status).toBe('pending');
    h.clock.advance(1);
    expect(h.service.getTac(issued.id).status).toBe('active');
    h.clock.advance(29);
    expect(h.service.verify('alice', issued.code).valid).toBe(true);
  });

  it('a pending multi-use code expires at start + ttl', () => {
    h.service.updatePolicy({ multiUseAllowed: true });
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', startsAt: iso(addMinutes(h.clock.now(), 60)), ttl: 15, oneTime: false });
    h.clock.advance(60);
    expect(h.service.verify('alice', issued.code).valid).toBe(true);
    h.clock.advance(14);
    expect(h.service.verify('alice', issued.code).valid).toBe(true);
    h.clock.advance(1);
    expect(h.service.getTac(issued.id).status).toBe('expired');
    expect(h.service.verify('alice', issued.code)).toMatchObject({ valid: false, reason: 'expired' });
  });

  it('refuses a start in the past, too far ahead, or unreadable', () => {
    catchTacError(() => h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', startsAt: '2025-12-31T23:00:00.000Z' }), 'invalid_value');
    catchTacError(() => h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', startsAt: '2026-03-01T00:00:00.000Z' }), 'invalid_value');
    catchTacError(() => h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', startsAt: 'soon' }), 'invalid_value');
    // a start a few seconds in the past counts as now
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', startsAt: '2025-12-31T23:59:30.000Z' });
    expect(issued).toMatchObject({ status: 'active', startsAt: '2026-01-01T00:00:00.000Z' });
  });

  it('refuses an unknown user and an unknown verification method', () => {
    catchTacError(() => h.service.issueTac({ verifiedBy: 'callback',  user: 'nobody' }), 'not_found');
    catchTacError(() => h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', verifiedBy: 'telepathy' as never }), 'invalid_value');
    expect(h.service.listTacs()).toHaveLength(0);
  });

  it('is one-time by default; a one-time code is consumed by the first successful verify', () => {
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    expect(issued.oneTime).toBe(true);
    const ok = h.service.verify('alice', issued.code);
    expect(ok.valid).toBe(true);
    expect(h.service.getTac(issued.id)).toMatchObject({ status: 'used', useCount: 1, lastUsedAt: '2026-01-01T00:00:00.000Z' });
    expect(h.service.verify('alice', issued.code)).toEqual({ valid: false, reason: 'already_used' });
    expect(h.service.getTac(issued.id).useCount).toBe(1);
  });

  it('refuses multi-use unless the policy allows it', () => {
    const err = catchTacError(() => h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', oneTime: false }), 'policy_violation');
    expect(err.exitCode).toBe(5);
    expect(h.service.listTacs()).toHaveLength(0);
  });

  it('a multi-use code stays valid and counts uses; default stays one-time when allowed', () => {
    h.service.updatePolicy({ multiUseAllowed: true });
    expect(h.service.issueTac({ verifiedBy: 'callback',  user: 'bob' }).oneTime).toBe(true);
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', oneTime: false });
    expect(issued.oneTime).toBe(false);
    for (let i = 1; i <= 3; i++) {
      h.clock.advance(1);
      const v = h.service.verify('alice', issued.code);
      expect(v.valid).toBe(true);
      if (v.valid) expect(v.tac).toMatchObject({ useCount: i, status: 'active', oneTime: false });
    }
    expect(h.service.getTac(issued.id)).toMatchObject({ status: 'active', useCount: 3, lastUsedAt: '2026-01-01T00:03:00.000Z' });
  });

  it('oneTimeDefault false makes codes multi-use by default', () => {
    h.service.updatePolicy({ multiUseAllowed: true, oneTimeDefault: false });
    expect(h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' }).oneTime).toBe(false);
    expect(h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', oneTime: true }).oneTime).toBe(true);
  });
});

describe('typed-in codes', () => {
  it('match case-insensitively by default, ignoring spaces and dashes', () => {
    const h = makeService({ random: scriptedRandom(DEFAULT_ALPHABET, 'K7P2X9QM', 'A2B3C4D5', 'Z9Y8X7W6') });
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    h.service.updatePolicy({ multiUseAllowed: true });
    const issued = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', oneTime: false });
    expect(issued.code).toBe('K7P2X9QM');
    for (const typed of ['k7p2-x9qm', 'K7P2 X9QM', ' k7P2x9Qm ', 'K7-P2-X9-QM', 'K7P2X9QM']) {
      expect(h.service.verify('alice', typed).valid, typed).toBe(true);
    }
    expect(h.service.verify('alice', 'K7P2X9QN')).toMatchObject({ valid: false, reason: 'invalid_code' });
  });

  it('match case-sensitively when the policy mixes cases', () => {
    const h = makeService();
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    h.service.updatePolicy({ mixedCase: true, multiUseAllowed: true, maxFailedAttempts: 10 });
    const { code } = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice', oneTime: false });
    expect(code).toMatch(/[a-z]/);
    expect(code).toMatch(/[A-Z]/);
    const swapped = [...code].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
    expect(h.service.verify('alice', swapped)).toMatchObject({ valid: false, reason: 'invalid_code' });
    expect(h.service.verify('alice', code.toUpperCase())).toMatchObject({ valid: false, reason: 'invalid_code' });
    expect(h.service.verify('alice', code).valid).toBe(true);
    expect(h.service.verify('alice', `${code.slice(0, 4)}-${code.slice(4)}`).valid).toBe(true);
  });

  it('a code issued before the policy turned case-sensitive still matches case-insensitively', () => {
    const h = makeService();
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    const { code } = h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    h.service.updatePolicy({ mixedCase: true });
    expect(h.service.verify('alice', code.toLowerCase()).valid).toBe(true);
  });

  it('an empty code never matches', () => {
    const h = makeService();
    h.service.addUser({ username: 'alice', email: 'alice@example.com' });
    h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    expect(h.service.verify('alice', '')).toMatchObject({ valid: false, reason: 'invalid_code' });
    expect(h.service.verify('alice', ' - ')).toMatchObject({ valid: false, reason: 'invalid_code' });
  });
});
