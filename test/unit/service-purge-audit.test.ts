import { beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS } from '../../src/core/types.js';
import { catchTacError, makeService, type Harness } from './helpers.js';

const DAY = 1440;
const tacCount = (h: Harness) => (h.db.prepare('SELECT COUNT(*) AS n FROM tacs').get() as { n: number }).n;

describe('purge', () => {
  let h: Harness;
  let old: { expired: string; used: string; revoked: string };
  let kept: { longLived: string; lateUse: string; young: string; live: string };

  beforeEach(() => {
    h = makeService();
    const s = h.service;
    s.updatePolicy({ maxTtl: 43_200 });
    for (const u of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) s.addUser({ username: u, email: `${u}@example.com` });
    // t0: three TACs that finish at once (or nearly) ...
    const expired = s.issueTac({ verifiedBy: 'callback',  user: 'a', ttl: 10 }); // ends t0 + 10m
    const used = s.issueTac({ verifiedBy: 'callback',  user: 'b' });
    s.verify('b', used.code); // ends t0
    const revoked = s.issueTac({ verifiedBy: 'callback',  user: 'c' });
    s.revokeTac(revoked.id); // ends t0
    // ... and two created at t0 that finish much later: age counts from the end, not the creation
    const longLived = s.issueTac({ verifiedBy: 'callback',  user: 'd', ttl: 43_200 }); // ends t0 + 30d
    const lateUse = s.issueTac({ verifiedBy: 'callback',  user: 'e', ttl: 480 });
    h.clock.advance(400);
    s.verify('e', lateUse.code); // ends t0 + 400m
    // day 20: a young finished TAC, and a live one (pending until day 29, then active until day 59)
    h.clock.advance(20 * DAY - 400);
    const young = s.issueTac({ verifiedBy: 'callback',  user: 'f', ttl: 10 }); // ends t0 + 20d + 10m
    const live = s.issueTac({ verifiedBy: 'callback',  user: 'g', ttl: 43_200, startsAt: new Date(h.clock.now().getTime() + 9 * DAY * 60_000).toISOString() });
    // now: t0 + 30d + 11m, so the cutoff is t0 + 11m
    h.clock.advance(10 * DAY + 11);
    old = { expired: expired.id, used: used.id, revoked: revoked.id };
    kept = { longLived: longLived.id, lateUse: lateUse.id, young: young.id, live: live.id };
    expect(s.getTac(live.id).status).toBe('active');
    expect(s.getTac(old.expired).status).toBe('expired');
    expect(s.getTac(old.used).status).toBe('used');
    expect(s.getTac(old.revoked).status).toBe('revoked');
  });

  it('dry run lists what would go and deletes nothing', () => {
    expect(tacCount(h)).toBe(7);
    const res = h.service.purge(true);
    expect(res.dryRun).toBe(true);
    expect([...res.tacIds].sort()).toEqual(Object.values(old).sort());
    expect(tacCount(h)).toBe(7);
    for (const id of Object.values(old)) expect(h.store.getTac(id)).toBeDefined();
    expect(h.service.queryAudit({ action: 'tac.purged' })).toHaveLength(0);
  });

  it('deletes expired, used and revoked TACs older than purgeAfterDays, keeps younger and live ones', () => {
    const res = h.service.purge();
    expect(res.dryRun).toBe(false);
    expect(res.purged).toBe(3);
    expect([...res.tacIds].sort()).toEqual(Object.values(old).sort());
    expect(tacCount(h)).toBe(4);
    for (const id of Object.values(old)) expect(h.store.getTac(id)).toBeUndefined();
    for (const id of Object.values(kept)) expect(h.store.getTac(id)).toBeDefined();
    const events = h.service.queryAudit({ action: 'tac.purged' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: h.actor, outcome: 'success', details: { count: 3, purgeAfterDays: 30 } });
    expect([...(events[0]!.details.tacIds as string[])].sort()).toEqual(Object.values(old).sort());
    // nothing left to purge: no new event
    expect(h.service.purge()).toEqual({ purged: 0, dryRun: false, tacIds: [] });
    expect(h.service.queryAudit({ action: 'tac.purged' })).toHaveLength(1);
  });

  it('issuing a code purges automatically, for every user', () => {
    h.service.issueTac({ verifiedBy: 'callback',  user: 'a' });
    for (const id of Object.values(old)) expect(h.store.getTac(id)).toBeUndefined();
    for (const id of Object.values(kept)) expect(h.store.getTac(id)).toBeDefined();
    expect(h.service.queryAudit({ action: 'tac.purged' })[0]!.details).toMatchObject({ count: 3 });
  });

  it('age counts from when a TAC ended', () => {
    h.service.purge();
    h.clock.advance(DAY); // cutoff t0 + 1d + 11m: only the late-used one is old enough now
    expect(h.service.purge().tacIds).toEqual([kept.lateUse]);
    h.clock.advance(30 * DAY); // cutoff t0 + 31d + 11m: the long-lived and the young one too; the live one ends day 59
    expect([...h.service.purge().tacIds].sort()).toEqual([kept.longLived, kept.young].sort());
    expect(h.store.getTac(kept.live)).toBeDefined();
  });

  it('follows purgeAfterDays', () => {
    h.service.updatePolicy({ purgeAfterDays: 5 });
    // cutoff t0 + 25d + 11m
    expect([...h.service.purge(true).tacIds].sort()).toEqual([...Object.values(old), kept.lateUse, kept.young].sort());
  });
});

describe('automatic purge on issue', () => {
  it('issuing any code purges old finished TACs of every user', () => {
    const h = makeService();
    h.service.addUser({ username: 'a', email: 'a@example.com' });
    h.service.addUser({ username: 'b', email: 'b@example.com' });
    const a = h.service.issueTac({ verifiedBy: 'callback',  user: 'a', ttl: 10 });
    h.clock.advance(29 * DAY);
    h.service.issueTac({ verifiedBy: 'callback',  user: 'b' });
    expect(h.store.getTac(a.id)).toBeDefined();
    h.clock.advance(DAY + 10);
    h.service.issueTac({ verifiedBy: 'callback',  user: 'b' });
    expect(h.store.getTac(a.id)).toBeUndefined();
    expect(h.service.queryAudit({ action: 'tac.purged' })[0]!.details).toMatchObject({ count: 1, tacIds: [a.id] });
  });
});

describe('audit', () => {
  it('records every change and verify attempt with the full shape and the given actor', () => {
    const h = makeService({ actor: 'agent:desk-7' });
    const s = h.service;
    const u = s.addUser({ username: 'alice', email: 'alice@example.com' });
    s.updatePolicy({ multiUseAllowed: true });
    const t1 = s.issueTac({ verifiedBy: 'callback',  user: 'alice' });
    s.verify('alice', '00001111');
    s.verify('alice', t1.code);
    s.verify('nobody', t1.code);
    s.issueTac({ verifiedBy: 'callback',  user: 'alice' }); // t1 is used: nothing to replace
    s.unlockUser('alice');
    s.setUserDisabled('alice', true);
    s.setUserDisabled('alice', false);
    s.createGuest({ email: 'guest@example.org' });
    s.recordEvent({ action: 'agent.created', details: { name: 'desk-7' } });
    s.deleteUser('alice');

    const events = s.queryAudit({ limit: 1000 }).reverse();
    expect(events.map((e) => e.action)).toEqual([
      'user.created', 'policy.updated', 'tac.generated', 'tac.verify_failed', 'tac.verified', 'tac.verify_failed',
      'tac.generated', 'user.unlocked', 'user.disabled', 'tac.revoked', 'user.enabled', 'guest.created', 'tac.generated',
      'agent.created', 'user.deleted',
    ]);
    for (const e of events) {
      expect(Object.keys(e).sort()).toEqual(['action', 'actor', 'at', 'details', 'id', 'outcome', 'reason', 'tacId', 'userId']);
      expect(e.actor).toBe('agent:desk-7');
      expect(e.at).toBe('2026-01-01T00:00:00.000Z');
      expect(typeof e.id).toBe('number');
      expect(typeof e.details).toBe('object');
      expect(AUDIT_ACTIONS).toContain(e.action);
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events[2]).toMatchObject({ userId: u.id, tacId: t1.id, outcome: 'success', reason: null });
    expect(events[3]).toMatchObject({ userId: u.id, tacId: null, outcome: 'failure', reason: 'invalid_code', details: { failedAttempts: 1 } });
    expect(events[4]).toMatchObject({ userId: u.id, tacId: t1.id, outcome: 'success', details: { useCount: 1, oneTime: true } });
    expect(events[5]).toMatchObject({ userId: null, outcome: 'failure', reason: 'unknown_user', details: { user: 'nobody' } });
    expect(events[13]).toMatchObject({ userId: null, tacId: null, details: { name: 'desk-7' } });
    expect(events[9]).toMatchObject({ userId: u.id, reason: 'user_disabled' });
  });

  describe('query', () => {
    let h: Harness;
    let aliceId: string;
    beforeEach(() => {
      h = makeService();
      aliceId = h.service.addUser({ username: 'alice', email: 'alice@example.com' }).id; // 00:00
      h.clock.advance(10);
      h.service.addUser({ username: 'bob', email: 'bob@example.com' }); // 00:10
      h.clock.advance(10);
      h.service.issueTac({ verifiedBy: 'callback',  user: 'alice' }); // 00:20
      h.clock.advance(10);
      h.service.issueTac({ verifiedBy: 'callback',  user: 'bob' }); // 00:30
      h.clock.advance(10);
      h.service.verify('alice', '00001111'); // 00:40
    });

    it('is newest first and honours limit', () => {
      const all = h.service.queryAudit();
      expect(all.map((e) => e.at)).toEqual([
        '2026-01-01T00:40:00.000Z', '2026-01-01T00:30:00.000Z', '2026-01-01T00:20:00.000Z', '2026-01-01T00:10:00.000Z', '2026-01-01T00:00:00.000Z',
      ]);
      expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => b - a));
      expect(h.service.queryAudit({ limit: 2 }).map((e) => e.action)).toEqual(['tac.verify_failed', 'tac.generated']);
      catchTacError(() => h.service.queryAudit({ limit: 0 }), 'invalid_value');
    });

    it('filters by user (any reference), action and since', () => {
      expect(h.service.queryAudit({ user: 'alice' }).map((e) => e.action)).toEqual(['tac.verify_failed', 'tac.generated', 'user.created']);
      expect(h.service.queryAudit({ user: 'ALICE@example.com' }).every((e) => e.userId === aliceId)).toBe(true);
      expect(h.service.queryAudit({ user: aliceId })).toHaveLength(3);
      expect(h.service.queryAudit({ action: 'tac.generated' }).map((e) => e.at)).toEqual(['2026-01-01T00:30:00.000Z', '2026-01-01T00:20:00.000Z']);
      expect(h.service.queryAudit({ since: '2026-01-01T00:20:00Z' }).map((e) => e.at)).toEqual([
        '2026-01-01T00:40:00.000Z', '2026-01-01T00:30:00.000Z', '2026-01-01T00:20:00.000Z',
      ]);
      expect(h.service.queryAudit({ user: 'bob', action: 'tac.generated', since: '2026-01-01T00:25:00Z', limit: 5 })).toHaveLength(1);
      expect(h.service.queryAudit({ user: 'alice', action: 'user.created', since: '2026-01-01T00:01:00Z' })).toHaveLength(0);
    });

    it('refuses an unknown action, an unreadable since and an unknown user', () => {
      catchTacError(() => h.service.queryAudit({ action: 'tac.stolen' }), 'invalid_value');
      catchTacError(() => h.service.queryAudit({ since: 'yesterday' }), 'invalid_value');
      catchTacError(() => h.service.queryAudit({ user: 'carol' }), 'not_found');
    });
  });
});
