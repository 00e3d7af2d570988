import { expect, it } from 'vitest';
import { describeBackends, describeRun, type AuditJson } from './helpers/tac.js';

const FIELDS = ['action', 'actor', 'at', 'details', 'id', 'outcome', 'reason', 'tacId', 'userId'];

describeBackends('audit', (env) => {
  const ids: Record<string, string> = {};

  it('setup: a scripted session', async () => {
    ids.alice = (await env.addUser('alice')).id;
    ids.bob = (await env.addUser('bob')).id;
    const t1 = await env.issue('alice', '--reason', 'lost phone');
    ids.t1 = t1.id;
    await env.verify('alice', '22222222');
    await env.verify('alice', t1.code);
    const t2 = await env.issue('bob');
    ids.t2 = t2.id;
    await env.admin(['delete', '--yes', t2.id]);
    await env.admin(['users', 'disable', '--yes', 'bob']);
    await env.admin(['users', 'enable', 'bob']);
    await env.admin(['users', 'unlock', 'alice']);
    await env.setPolicy('--length', '10');
    await env.admin(['guests', 'create', '--email', 'guest@example.com']);
    await env.verify('nobody', 'ABCDEFGH');
  });

  it('--json is JSON Lines with exactly the documented fields, newest first', async () => {
    const r = await env.tac(['audit', '--json']);
    expect(r.code, describeRun(r)).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const events = lines.map((l) => JSON.parse(l) as AuditJson);
    for (const e of events) {
      expect(Object.keys(e).sort()).toEqual(FIELDS);
      expect(typeof e.id).toBe('number');
      expect(new Date(e.at).toISOString()).toBe(e.at);
      expect(['success', 'failure']).toContain(e.outcome);
      expect(typeof e.details).toBe('object');
    }
    const idsDesc = events.map((e) => e.id);
    expect(idsDesc).toEqual([...idsDesc].sort((a, b) => b - a));
  });

  it('records every change and every verification attempt', async () => {
    const events = await env.auditJson('--limit', '1000');
    const find = (action: string, pred: (e: AuditJson) => boolean = () => true) => events.filter((e) => e.action === action && pred(e));
    expect(find('user.created', (e) => e.userId === ids.alice)).toHaveLength(1);
    expect(find('user.created', (e) => e.userId === ids.alice)[0]!.details).toMatchObject({ username: 'alice', email: 'alice@example.com', guest: false });
    expect(find('tac.generated', (e) => e.tacId === ids.t1)[0]).toMatchObject({ userId: ids.alice, outcome: 'success', details: { reason: 'lost phone', ttl: 60, oneTime: true } });
    expect(find('tac.verify_failed', (e) => e.userId === ids.alice)[0]).toMatchObject({ outcome: 'failure', reason: 'invalid_code' });
    expect(find('tac.verified', (e) => e.tacId === ids.t1)[0]).toMatchObject({ userId: ids.alice, outcome: 'success' });
    expect(find('tac.revoked', (e) => e.tacId === ids.t2)[0]).toMatchObject({ userId: ids.bob, reason: 'deleted' });
    expect(find('user.disabled', (e) => e.userId === ids.bob)).toHaveLength(1);
    expect(find('user.enabled', (e) => e.userId === ids.bob)).toHaveLength(1);
    expect(find('user.unlocked', (e) => e.userId === ids.alice)).toHaveLength(1);
    expect(find('policy.updated')[0]!.details).toEqual({ changes: { length: { from: 8, to: 10 } } });
    expect(find('guest.created')[0]!.details).toMatchObject({ email: 'guest@example.com', guest: true });
    expect(find('tac.verify_failed', (e) => e.reason === 'unknown_user')[0]).toMatchObject({ userId: null, outcome: 'failure' });
  });

  it('the actor is the OS user locally, the agent on a server', async () => {
    // Remote: the harness's agents were created on the server's database by its local
    // administrator (agent.created, actor = OS user) before the suite ran; those are not ours.
    const events = (await env.auditJson('--limit', '1000')).filter((e) => !e.action.startsWith('agent.'));
    expect(events.length).toBeGreaterThan(10);
    expect(new Set(events.map((e) => e.actor))).toEqual(new Set([env.actor]));
  });

  it('--user, --action, --limit filters', async () => {
    const alice = await env.auditJson('--user', 'alice');
    expect(alice.length).toBeGreaterThan(3);
    expect(alice.every((e) => e.userId === ids.alice)).toBe(true);
    const byEmail = await env.auditJson('--user', 'alice@example.com');
    expect(byEmail.map((e) => e.id)).toEqual(alice.map((e) => e.id));

    const failed = await env.auditJson('--action', 'tac.verify_failed');
    expect(failed.length).toBe(2);
    expect(failed.every((e) => e.action === 'tac.verify_failed')).toBe(true);
    const both = await env.auditJson('--user', 'alice', '--action', 'tac.generated');
    expect(both.map((e) => e.tacId)).toEqual([ids.t1]);

    const all = await env.auditJson('--limit', '1000');
    const three = await env.auditJson('--limit', '3');
    expect(three.map((e) => e.id)).toEqual(all.slice(0, 3).map((e) => e.id));

    let r = await env.tac(['audit', '--action', 'bogus.action']);
    expect(r.code).toBe(2);
    r = await env.tac(['audit', '--limit', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--limit/);
    r = await env.tac(['audit', '--user', 'nobody']);
    expect(r.code).toBe(3);
  });

  it('--since: a duration back or a time', async () => {
    const all = await env.auditJson('--limit', '1000');
    expect((await env.auditJson('--since', '1h', '--limit', '1000')).length).toBe(all.length);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect(await env.auditJson('--since', future)).toEqual([]);
    // From the middle event on (inclusive).
    const mid = all[Math.floor(all.length / 2)]!;
    const since = await env.auditJson('--since', mid.at, '--limit', '1000');
    expect(since.length).toBeGreaterThan(0);
    expect(since.length).toBeLessThan(all.length);
    expect(since.every((e) => e.at >= mid.at)).toBe(true);
    expect(since.map((e) => e.id)).toEqual(all.filter((e) => e.at >= mid.at).map((e) => e.id));
    const r = await env.tac(['audit', '--since', 'last tuesday']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--since/);
  });

  it('piped table: tab-separated, one event per line', async () => {
    const r = await env.tac(['audit', '--limit', '2']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]!.split('\t')).toHaveLength(9);
    expect(lines[0]!.split('\t')[2]).toBe(env.actor);
  });
});

describeBackends('purge', (env) => {
  it('with the default 30 days nothing recent is purged', async () => {
    const s = await env.isolated('default');
    await s.addUser('alice');
    await s.issue('alice');
    await s.issue('alice');
    const r = await s.tacJson<{ purged: number; dryRun: boolean; tacIds: string[] }>(['purge', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ purged: 0, dryRun: true, tacIds: [] });
    expect((await s.listJson()).length).toBe(2);
  });

  it('--purge-after 0: dry-run lists finished TACs, purge deletes them and keeps live ones', async () => {
    const s = await env.isolated('zero');
    for (const u of ['a', 'b', 'c']) await s.addUser(u);
    const replaced = await s.issue('a');
    const live = await s.issue('a');
    const used = await s.issue('b');
    expect((await s.verify('b', used.code)).code).toBe(0);
    const pending = await s.issue('c', '--starts-at', '+1h');
    await s.setPolicy('--purge-after', '0');

    const dry = await s.tac(['purge', '--dry-run']);
    expect(dry.code, describeRun(dry)).toBe(0);
    expect(dry.stderr).toContain('2 TACs would be purged');
    expect(dry.stdout.trimEnd().split('\n').sort()).toEqual([replaced.id, used.id].sort());
    const dryJson = await s.tacJson<{ purged: number; dryRun: boolean; tacIds: string[] }>(['purge', '--dry-run']);
    expect(dryJson.json.dryRun).toBe(true);
    expect(dryJson.json.tacIds.sort()).toEqual([replaced.id, used.id].sort());
    expect((await s.listJson()).length).toBe(4);

    const r = await s.tacJson<{ purged: number; dryRun: boolean; tacIds: string[] }>(['purge']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.json.purged).toBe(2);
    expect(r.json.dryRun).toBe(false);
    expect(r.json.tacIds.sort()).toEqual([replaced.id, used.id].sort());
    expect((await s.listJson()).map((t) => t.id).sort()).toEqual([live.id, pending.id].sort());
    const [ev] = await s.auditJson('--action', 'tac.purged');
    expect(ev!.details).toMatchObject({ count: 2, purgeAfterDays: 0 });

    const again = await s.tac(['purge']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('Purged 0 TACs');
    expect(again.stdout).toBe('');
    // The live code still works after a purge.
    expect((await s.verify('a', live.code)).code).toBe(0);
  });

  it('issuing a code also purges finished TACs past the purge age', async () => {
    const s = await env.isolated('on-issue');
    await s.addUser('d');
    await s.setPolicy('--purge-after', '0');
    const first = await s.issue('d');
    await s.admin(['delete', '--yes', first.id]);
    const second = await s.issue('d');
    expect((await s.listJson()).map((t) => t.id)).toEqual([second.id]);
  });
});
