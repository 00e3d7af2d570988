import { expect, it } from 'vitest';
import { DEFAULT_CODE_RE, describeBackends, describeRun, type IssuedJson } from './helpers/tac.js';

const minutes = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 60_000;

describeBackends('generate', (env) => {
  it('piped: prints only the bare code and a newline on stdout', async () => {
    await env.addUser('alice');
    const r = await env.tac(['generate', '--verified-by', 'callback', '--user', 'alice']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}\n$/);
    expect(r.stdout).not.toContain('\x1b');
    // And it is the code: it verifies.
    const v = await env.verify('alice', r.stdout.trim());
    expect(v.code, describeRun(v)).toBe(0);
  });

  it('--json prints exactly {id, code, status, startsAt, expiresAt, oneTime, user}', async () => {
    const u = await env.addUser('bob', { name: 'Bob Builder' });
    const r = await env.tacJson<IssuedJson>(['generate', '--verified-by', 'callback', '--user', 'bob']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(Object.keys(r.json).sort()).toEqual(['code', 'expiresAt', 'id', 'oneTime', 'startsAt', 'status', 'user']);
    expect(Object.keys(r.json.user).sort()).toEqual(['email', 'guest', 'id', 'name', 'username']);
    expect(r.json).toMatchObject({
      status: 'active', oneTime: true,
      user: { id: u.id, username: 'bob', email: 'bob@example.com', name: 'Bob Builder', guest: false },
    });
    expect(r.json.id).toMatch(/^tac_[a-z2-7]{16}$/);
    expect(r.json.code).toMatch(DEFAULT_CODE_RE);
    expect(minutes(r.json.startsAt, r.json.expiresAt)).toBe(60);
    expect(new Date(r.json.startsAt).toISOString()).toBe(r.json.startsAt);
  });

  it('default codes are 8 characters of digits and upper case without 0 O 1 I L', async () => {
    await env.addUser('carol');
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const r = await env.tac(['generate', '--verified-by', 'callback', '--user', 'carol']);
      expect(r.code).toBe(0);
      const code = r.stdout.trim();
      expect(code).toMatch(DEFAULT_CODE_RE);
      expect(code).not.toMatch(/[0O1IL]/);
      seen.add(code);
    }
    expect(seen.size).toBe(8);
  });

  it('--ttl accepts durations within the policy bounds', async () => {
    await env.addUser('dave');
    for (const [ttl, mins] of [['10', 10], ['2h', 120], ['1h30m', 90], ['480', 480], ['8h', 480]] as const) {
      const j = await env.issue('dave', '--ttl', ttl);
      expect(minutes(j.startsAt, j.expiresAt), `--ttl ${ttl}`).toBe(mins);
    }
  });

  it('--ttl outside [10, 480] is refused with exit 5 naming both bounds', async () => {
    await env.addUser('erin');
    for (const ttl of ['9', '5m', '481', '9h', '2d']) {
      const r = await env.tac(['generate', '--verified-by', 'callback', '--user', 'erin', '--ttl', ttl]);
      expect(r.code, describeRun(r)).toBe(5);
      expect(r.stderr).toMatch(/^error: .*\b10\b.*\b480\b/);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    expect(await env.listJson('--user', 'erin')).toEqual([]);
  });

  it('--ttl garbage is a usage error naming --ttl (exit 2)', async () => {
    await env.addUser('frank');
    for (const ttl of ['soon', '-5', '1.5h', '']) {
      const r = await env.tac(['generate', '--verified-by', 'callback', '--user', 'frank', '--ttl', ttl]);
      expect(r.code, describeRun(r)).toBe(2);
      expect(r.stderr).toMatch(/^error: .*--ttl/);
    }
  });

  it('--starts-at +2h makes the code pending until then', async () => {
    await env.addUser('grace');
    const before = Date.now();
    const j = await env.issue('grace', '--starts-at', '+2h');
    expect(j.status).toBe('pending');
    const startOffset = (Date.parse(j.startsAt) - before) / 60_000;
    expect(startOffset).toBeGreaterThan(119);
    expect(startOffset).toBeLessThan(121);
    expect(minutes(j.startsAt, j.expiresAt)).toBe(60);
    const [listed] = await env.listJson('--user', 'grace');
    expect(listed).toMatchObject({ id: j.id, status: 'pending' });
    // An absolute ISO time works too; a past or unparsable one does not.
    const at = new Date(Date.now() + 3 * 3600_000).toISOString();
    expect((await env.issue('grace', '--starts-at', at)).startsAt).toBe(at);
    let r = await env.tac(['generate', '--verified-by', 'callback', '--user', 'grace', '--starts-at', 'tomorrow']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--starts-at/);
    r = await env.tac(['generate', '--verified-by', 'callback', '--user', 'grace', '--starts-at', '2000-01-01T00:00:00Z']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--starts-at/);
  });

  it('--reason is kept in the audit log', async () => {
    await env.addUser('reason-user');
    const j = await env.issue('reason-user', '--reason', 'lost phone');
    const [ev] = await env.auditJson('--user', 'reason-user', '--action', 'tac.generated', '--limit', '1');
    expect(ev).toMatchObject({ tacId: j.id, details: { reason: 'lost phone', ttl: 60, oneTime: true } });
    const [listed] = await env.listJson('--user', 'reason-user');
    expect(listed!.reason).toBe('lost phone');
  });

  it('one TAC per user: a second generate revokes the first ("replaced")', async () => {
    await env.addUser('hank');
    const first = await env.issue('hank');
    const second = await env.issue('hank');
    const tacs = await env.listJson('--user', 'hank');
    expect(tacs.map((t) => t.id)).toEqual([second.id, first.id]);
    expect(tacs[0]).toMatchObject({ status: 'active', revokedReason: null });
    expect(tacs[1]).toMatchObject({ status: 'revoked', revokedReason: 'replaced' });
    expect(tacs[1]!.revokedAt).not.toBeNull();
    // The replaced code no longer works; the new one does.
    const v1 = await env.verifyJson('hank', first.code);
    expect(v1.json).toEqual({ valid: false, reason: 'revoked' });
    expect((await env.verify('hank', second.code)).code).toBe(0);
  });

  it('--multi-use is refused (exit 5) unless the policy allows multi-use codes', async () => {
    const s = await env.isolated('multi');
    await s.addUser('ivan');
    let r = await s.tac(['generate', '--verified-by', 'callback', '--user', 'ivan', '--multi-use']);
    expect(r.code, describeRun(r)).toBe(5);
    expect(r.stderr).toMatch(/^error: .*multi-use/);
    expect(await s.listJson('--user', 'ivan')).toEqual([]);
    r = await s.tac(['generate', '--verified-by', 'callback', '--user', 'ivan', '--multi-use', '--one-time']);
    expect(r.code).toBe(2);

    await s.setPolicy('--multi-use-allowed');
    const j = await s.issue('ivan', '--multi-use');
    expect(j.oneTime).toBe(false);
    // Multi-use codes can be used more than once.
    expect((await s.verify('ivan', j.code)).code).toBe(0);
    const again = await s.verifyJson<{ valid: boolean; tac: { useCount: number } }>('ivan', j.code);
    expect(again.code).toBe(0);
    expect(again.json.tac.useCount).toBe(2);
  });

  it('a disabled user cannot receive a code (exit 5)', async () => {
    await env.addUser('judy');
    await env.admin(['users', 'disable', '--yes', 'judy']);
    const r = await env.tac(['generate', '--verified-by', 'callback', '--user', 'judy']);
    expect(r.code, describeRun(r)).toBe(5);
    expect(r.stderr).toMatch(/^error: .*judy.*disabled/);
    expect(r.stdout).toBe('');
    expect(await env.listJson('--user', 'judy')).toEqual([]);
  });

  it('an unknown user is exit 3, a missing --user exit 2', async () => {
    let r = await env.tac(['generate', '--verified-by', 'callback', '--user', 'nobody']);
    expect(r.code, describeRun(r)).toBe(3);
    expect(r.stderr).toBe('error: user "nobody" not found\n');
    r = await env.tac(['generate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--user/);
    r = await env.tac(['generate', '--verified-by', 'callback', '--user', '   ']);
    expect(r.code).toBe(2);
  });

  it('generate works with any USER form: id, email, phone', async () => {
    const u = await env.addUser('kim', { email: 'kim@example.com', phone: '+447700900123' });
    for (const ref of [u.id, 'KIM@example.com', '+447700900123']) {
      const j = await env.issue(ref);
      expect(j.user.id).toBe(u.id);
    }
  });

  it('generate is refused (exit 5) while TACs are disabled by policy', async () => {
    const s = await env.isolated('disabled');
    await s.addUser('leo');
    await s.setPolicy('--disable');
    const r = await s.tac(['generate', '--verified-by', 'callback', '--user', 'leo']);
    expect(r.code, describeRun(r)).toBe(5);
    expect(r.stderr).toMatch(/^error: .*disabled by policy/);
    await s.setPolicy('--enable');
    await s.issue('leo');
  });
});
