import { describe, expect, it } from 'vitest';
import type { GuestImportResult, GuestInput } from '../../src/core/types.js';
import { catchTacError, makeService, usersCount, type Harness } from './helpers.js';

/** A deterministic random source, so two services draw the same codes. */
const counting = () => {
  let n = 0;
  return (max: number) => n++ % max;
};

const ROWS: { line: number; input: GuestInput }[] = [
  { line: 2, input: { email: 'A@example.org', name: 'Ann' } },
  { line: 3, input: { email: 'b@example.org', username: 'bee', phone: '+1 555 123 4567', ttl: 30 } },
  { line: 4, input: { email: 'c@example.org', ttl: 90, oneTime: true } },
  { line: 5, input: { email: 'd@example.org' } },
];

const withoutIds = (h: Harness) => h.service.queryAudit({ limit: 1000 }).reverse().map(({ id: _id, userId: _u, tacId: _t, details, ...e }) => ({
  ...e, details: Object.fromEntries(Object.entries(details).filter(([k]) => k !== 'tacIds')),
}));

const counts = (h: Harness) => ({
  users: usersCount(h.db),
  tacs: (h.db.prepare('SELECT COUNT(*) AS n FROM tacs').get() as { n: number }).n,
  audit: (h.db.prepare('SELECT COUNT(*) AS n FROM audit').get() as { n: number }).n,
});

describe('importGuestBatch: a batch of new guests at once', () => {
  it('writes what creating the guests one by one writes: users, codes, expiry, events in row order', () => {
    const batch = makeService({ random: counting() });
    const single = makeService({ random: counting() });
    const results = batch.service.importGuestBatch(ROWS, 'fail');
    const one = ROWS.map(({ input }) => single.service.createGuest(input));

    expect(results.map((r) => r.status)).toEqual(['created', 'created', 'created', 'created']);
    const issued = results.map((r) => (r as Extract<GuestImportResult, { tac: unknown }>).tac);
    const strip = ({ id: _id, user: { id: _u, ...user }, ...t }: (typeof one)[number]) => ({ ...t, user });
    expect(issued.map(strip)).toEqual(one.map(strip));
    expect(issued.map((t) => t.expiresAt)).toEqual(['2026-01-01T01:00:00.000Z', '2026-01-01T00:30:00.000Z', '2026-01-01T01:30:00.000Z', '2026-01-01T01:00:00.000Z']);
    expect(batch.service.showUser('bee')).toMatchObject({ email: 'b@example.org', phone: '+15551234567', guest: true });

    const events = batch.service.queryAudit({ limit: 1000 }).reverse();
    expect(events.map((e) => [e.action, e.userId])).toEqual(issued.flatMap((t) => [['guest.created', t.user.id], ['tac.generated', t.user.id]]));
    expect(events.filter((e) => e.action === 'tac.generated').map((e) => e.tacId)).toEqual(issued.map((t) => t.id));
    expect(withoutIds(batch)).toEqual(withoutIds(single));
    for (const t of issued) expect(batch.service.verify(t.user.email, t.code).valid).toBe(true);
  });

  it('skips an existing email under skip, and writes nothing at all when every row is skipped', () => {
    const h = makeService();
    h.service.createGuest({ email: 'a@example.org' });
    const before = counts(h);
    expect(h.service.importGuestBatch([{ line: 2, input: { email: 'A@EXAMPLE.org' } }], 'skip')).toEqual([{ line: 2, status: 'skipped', email: 'a@example.org' }]);
    expect(counts(h)).toEqual(before);
    const res = h.service.importGuestBatch(ROWS, 'skip');
    expect(res.map((r) => r.status)).toEqual(['skipped', 'created', 'created', 'created']);
    expect(counts(h)).toEqual({ users: before.users + 3, tacs: before.tacs + 3, audit: before.audit + 6 });
  });

  it('two rows for one email in a batch: the second is skipped (as row by row)', () => {
    const h = makeService();
    const res = h.service.importGuestBatch([
      { line: 2, input: { email: 'x@example.org' } },
      { line: 3, input: { email: 'X@example.org' } },
    ], 'skip');
    expect(res.map((r) => r.status)).toEqual(['created', 'skipped']);
    expect(usersCount(h.db)).toBe(1);
  });

  it.each([
    ['a username', { username: 'taken' }, 'line 4: username: "taken" is already used by user taken'],
    ['a username in another case', { username: 'TAKEN' }, 'line 4: username: "TAKEN" is already used by user taken'],
    ['a phone number', { phone: '+15550000000' }, 'line 4: phone: "+15550000000" is already used by user taken'],
  ])('%s of an existing user: the row-by-row conflict, nothing written', (_what, clash, message) => {
    const h = makeService();
    h.service.addUser({ username: 'taken', email: 'taken@example.com', phone: '+15550000000' });
    const before = counts(h);
    const err = catchTacError(() => h.service.importGuestBatch([
      ROWS[0]!,
      ROWS[1]!,
      { line: 4, input: { email: 'new@example.org', ...clash } },
    ], 'skip'), 'conflict');
    expect(err.message).toBe(message);
    expect(counts(h)).toEqual(before);
  });

  it('two rows claiming one username in a batch: the second is a conflict, nothing written', () => {
    const h = makeService();
    const err = catchTacError(() => h.service.importGuestBatch([
      { line: 2, input: { email: 'p@example.org', username: 'pat' } },
      { line: 3, input: { email: 'q@example.org', username: 'Pat' } },
    ], 'fail'), 'conflict');
    expect(err.message).toBe('line 3: username: "Pat" is already used by user pat');
    expect(counts(h)).toEqual({ users: 0, tacs: 0, audit: 0 });
  });

  it('an invalid row after valid ones: its error, nothing written', () => {
    const h = makeService();
    const err = catchTacError(() => h.service.importGuestBatch([ROWS[0]!, { line: 9, input: { email: 'not-an-email' } }], 'fail'), 'invalid_value');
    expect(err.message).toBe('line 9: email: "not-an-email" is not a valid email address');
    expect(counts(h)).toEqual({ users: 0, tacs: 0, audit: 0 });
    const ttl = catchTacError(() => h.service.importGuestBatch([ROWS[0]!, { line: 7, input: { email: 'z@example.org', ttl: 100_000 } }], 'fail'), 'policy_violation');
    expect(ttl.message).toMatch(/TTL|ttl/);
    expect(counts(h)).toEqual({ users: 0, tacs: 0, audit: 0 });
  });

  it('TACs disabled by policy: the policy error, nothing written', () => {
    const h = makeService();
    h.service.updatePolicy({ enabled: false });
    const before = counts(h);
    expect(catchTacError(() => h.service.importGuestBatch(ROWS, 'skip'), 'policy_violation').message).toContain('disabled by policy');
    expect(counts(h)).toEqual(before);
  });
});
