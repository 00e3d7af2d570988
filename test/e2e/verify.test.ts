import { expect, it } from 'vitest';
import { describeBackends, describeRun, type TacJson, type UserJson } from './helpers/tac.js';

interface ValidVerdict {
  valid: true;
  user: { id: string; username: string; email: string; name: string | null; guest: boolean };
  tac: TacJson;
}
interface InvalidVerdict {
  valid: false;
  reason: string;
  lockedUntil?: string;
}
type Verdict = ValidVerdict | InvalidVerdict;

/** Wrong codes drawn from the default alphabet, so they cannot be rejected for their characters. */
const wrong = (code: string) => (code === '22222222' ? '33333333' : '22222222');

describeBackends('verify', (env) => {
  it('reads the code from the first line of stdin: valid → exit 0 and "valid"', async () => {
    await env.addUser('alice');
    const { code } = await env.issue('alice');
    const r = await env.tac(['verify', '--user', 'alice'], { stdin: `${code}\nsecond line is ignored\n` });
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toBe('valid\n');
    expect(r.stderr).toBe('');
  });

  it('accepts a code without a trailing newline', async () => {
    await env.addUser('nonl');
    const { code } = await env.issue('nonl');
    const r = await env.tac(['verify', '--user', 'nonl'], { stdin: code });
    expect(r.code, describeRun(r)).toBe(0);
  });

  it('JSON: {"valid":true,"user":{...},"tac":{...}} and the code is not in it', async () => {
    const u = await env.addUser('bob', { name: 'Bob' });
    const issued = await env.issue('bob');
    const r = await env.verifyJson<Verdict>('bob', issued.code);
    expect(r.code, describeRun(r)).toBe(0);
    expect(Object.keys(r.json).sort()).toEqual(['tac', 'user', 'valid']);
    const v = r.json as ValidVerdict;
    expect(v.valid).toBe(true);
    expect(v.user).toEqual({ id: u.id, username: 'bob', email: 'bob@example.com', name: 'Bob', guest: false });
    expect(v.tac).toMatchObject({ id: issued.id, userId: u.id, status: 'used', oneTime: true, useCount: 1 });
    expect(v.tac.lastUsedAt).not.toBeNull();
    expect(r.stdout).not.toContain(issued.code);
  });

  it('lower case with spaces and dashes is accepted', async () => {
    await env.addUser('carol');
    const { code } = await env.issue('carol');
    const typed = ` ${code.slice(0, 4).toLowerCase()} - ${code.slice(4).toLowerCase()}  `;
    const r = await env.verify('carol', typed);
    expect(r.code, describeRun(r)).toBe(0);
  });

  it('a one-time code used twice: exit 6, already_used', async () => {
    await env.addUser('dave');
    const { code } = await env.issue('dave');
    expect((await env.verify('dave', code)).code).toBe(0);
    const r = await env.verify('dave', code);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('invalid\talready_used\n');
    const j = await env.verifyJson('dave', code);
    expect(j.code).toBe(6);
    expect(j.json).toEqual({ valid: false, reason: 'already_used' });
  });

  it('a wrong code: exit 6, invalid_code', async () => {
    await env.addUser('erin');
    const { code } = await env.issue('erin');
    const j = await env.verifyJson('erin', wrong(code));
    expect(j.code, describeRun(j)).toBe(6);
    expect(j.json).toEqual({ valid: false, reason: 'invalid_code' });
    // Empty input is a usage mistake (exit 2), not a guess: it must not count towards the lockout.
    const empty = await env.tac(['verify', '--user', 'erin', '--json']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^error: no code on standard input/);
    expect((await env.adminJson<{ failedAttempts: number }>(['users', 'show', 'erin'])).failedAttempts).toBe(1);
  });

  it('a one-time code verified concurrently is accepted exactly once', async () => {
    await env.addUser('race');
    const { code } = await env.issue('race');
    const results = await Promise.all(Array.from({ length: 5 }, () => env.verifyJson('race', code)));
    const codes = results.map((r) => r.code).sort();
    expect(codes, results.map(describeRun).join('\n')).toEqual([0, 6, 6, 6, 6]);
    for (const r of results.filter((x) => x.code === 6)) expect(r.json).toEqual({ valid: false, reason: 'already_used' });
    const [t] = await env.listJson('--user', 'race');
    expect(t).toMatchObject({ status: 'used', useCount: 1 });
  });

  it('a code issued to another user does not verify', async () => {
    await env.addUser('frank');
    await env.addUser('grace');
    const forFrank = await env.issue('frank');
    await env.issue('grace');
    const j = await env.verifyJson('grace', forFrank.code);
    expect(j.json).toEqual({ valid: false, reason: 'invalid_code' });
    expect((await env.verify('frank', forFrank.code)).code).toBe(0);
  });

  it('a replaced code: revoked', async () => {
    await env.addUser('hank');
    const first = await env.issue('hank');
    await env.issue('hank');
    const j = await env.verifyJson('hank', first.code);
    expect(j.code).toBe(6);
    expect(j.json).toEqual({ valid: false, reason: 'revoked' });
  });

  it('a deleted (revoked) code: revoked', async () => {
    await env.addUser('revd');
    const t = await env.issue('revd');
    await env.admin(['delete', '--yes', t.id]);
    expect((await env.verifyJson('revd', t.code)).json).toEqual({ valid: false, reason: 'revoked' });
  });

  it('a pending code: not_yet_valid', async () => {
    await env.addUser('ivan');
    const { code } = await env.issue('ivan', '--starts-at', '+2h');
    const j = await env.verifyJson('ivan', code);
    expect(j.code).toBe(6);
    expect(j.json).toEqual({ valid: false, reason: 'not_yet_valid' });
    // Trying a pending code does not use it up.
    const [t] = await env.listJson('--user', 'ivan');
    expect(t).toMatchObject({ status: 'pending', useCount: 0 });
  });

  it('an unknown user: unknown_user; a missing --user: exit 2', async () => {
    const j = await env.verifyJson('nobody', 'ABCDEFGH');
    expect(j.code).toBe(6);
    expect(j.json).toEqual({ valid: false, reason: 'unknown_user' });
    const r = await env.tac(['verify'], { stdin: 'ABCDEFGH\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--user/);
  });

  it('a disabled user: user_disabled (even with the code issued before)', async () => {
    await env.addUser('judy');
    const { code } = await env.issue('judy');
    await env.admin(['users', 'disable', '--yes', 'judy']);
    const j = await env.verifyJson('judy', code);
    expect(j.code).toBe(6);
    expect(j.json).toEqual({ valid: false, reason: 'user_disabled' });
  });

  it('3 wrong codes lock the user out, even for the right code; users unlock clears it', async () => {
    await env.addUser('kim');
    const { code } = await env.issue('kim');
    for (let i = 1; i <= 3; i++) {
      const j = await env.verifyJson('kim', wrong(code));
      expect(j.json, `attempt ${i}`).toEqual({ valid: false, reason: 'invalid_code' });
    }
    const locked = await env.verifyJson<InvalidVerdict>('kim', code);
    expect(locked.code).toBe(6);
    expect(locked.json.valid).toBe(false);
    expect(locked.json.reason).toBe('locked_out');
    expect(Date.parse(locked.json.lockedUntil!)).toBeGreaterThan(Date.now() + 10 * 60_000);
    const plain = await env.verify('kim', code);
    expect(plain.stdout).toBe('invalid\tlocked_out\n');

    const show = await env.tacJson<UserJson & { locked: boolean }>(['users', 'show', 'kim']);
    expect(show.json).toMatchObject({ locked: true, failedAttempts: 3 });
    expect((await env.tac(['users', 'show', 'kim'])).stdout).toMatch(/^state\tlocked$/m);

    // The lockout did not consume the code.
    await env.admin(['users', 'unlock', 'kim']);
    const ok = await env.verify('kim', code);
    expect(ok.code, describeRun(ok)).toBe(0);
  });

  it('a successful verification resets the failure count', async () => {
    const s = await env.isolated('reset');
    await s.addUser('leo');
    await s.setPolicy('--multi-use-allowed');
    const { code } = await s.issue('leo', '--multi-use');
    await s.verify('leo', wrong(code));
    await s.verify('leo', wrong(code));
    expect((await s.verify('leo', code)).code).toBe(0);
    await s.verify('leo', wrong(code));
    await s.verify('leo', wrong(code));
    // Only 2 failures since the success: not locked.
    expect((await s.verify('leo', code)).code).toBe(0);
  });

  it('--max-failed-attempts changes the lockout threshold', async () => {
    const s = await env.isolated('threshold');
    await s.addUser('mia');
    await s.setPolicy('--max-failed-attempts', '1');
    const { code } = await s.issue('mia');
    await s.verify('mia', wrong(code));
    expect((await s.verifyJson<InvalidVerdict>('mia', code)).json.reason).toBe('locked_out');
  });

  it('--max-consecutive-failures: past it the lock lasts until an agent unlocks, and multi-use successes do not reset it', async () => {
    const s = await env.isolated('hard-cap');
    await s.addUser('ned');
    await s.setPolicy('--multi-use-allowed', '--max-failed-attempts', '5', '--max-consecutive-failures', '4');
    const { code } = await s.issue('ned', '--multi-use');
    await s.verify('ned', wrong(code));
    await s.verify('ned', wrong(code));
    expect((await s.verify('ned', code)).code).toBe(0);
    const show = await s.tacJson<UserJson>(['users', 'show', 'ned']);
    expect(show.json).toMatchObject({ failedAttempts: 0, consecutiveFailures: 2 });
    await s.verify('ned', wrong(code));
    await s.verify('ned', wrong(code));
    const locked = await s.verifyJson<InvalidVerdict>('ned', code);
    expect(locked.json).toEqual({ valid: false, reason: 'locked_out', lockedUntil: '9999-12-31T23:59:59.999Z' });
    expect((await s.tac(['users', 'show', 'ned'])).stdout).toMatch(/^locked until\tuntil an agent unlocks \(tac users unlock\)$/m);
    await s.admin(['users', 'unlock', 'ned']);
    expect((await s.verify('ned', code)).code).toBe(0);
  });

  it('policy --disable: verify says tacs_disabled and generate exits 5', async () => {
    const s = await env.isolated('disabled');
    await s.addUser('ned');
    const { code } = await s.issue('ned');
    await s.setPolicy('--disable');
    const j = await s.verifyJson('ned', code);
    expect(j.code).toBe(6);
    expect(j.json).toEqual({ valid: false, reason: 'tacs_disabled' });
    expect((await s.tac(['generate', '--verified-by', 'callback', '--user', 'ned'])).code).toBe(5);
    await s.setPolicy('--enable');
    expect((await s.verify('ned', code)).code).toBe(0);
  });

  it('every attempt is audited, successes and failures alike', async () => {
    const u = await env.addUser('olga');
    const t = await env.issue('olga');
    await env.verify('olga', wrong(t.code));
    await env.verify('olga', t.code);
    const events = await env.auditJson('--user', 'olga');
    const verified = events.find((e) => e.action === 'tac.verified');
    const failed = events.find((e) => e.action === 'tac.verify_failed');
    expect(verified).toMatchObject({ userId: u.id, tacId: t.id, outcome: 'success' });
    expect(failed).toMatchObject({ userId: u.id, outcome: 'failure', reason: 'invalid_code' });
  });
});
