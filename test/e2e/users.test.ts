import { expect, it } from 'vitest';
import { describeBackends, describeRun, type UserJson } from './helpers/tac.js';

interface UserDetailsJson extends UserJson {
  locked: boolean;
  currentTac: { id: string; status: string } | null;
}

describeBackends('users', (env) => {
  it('users add prints the user (tab-separated when piped) and --json the full record', async () => {
    const r = await env.tac(['users', 'add', '--username', 'alice', '--email', 'Alice@Example.com', '--name', 'Alice Liddell', '--phone', '+1 555 123 4567']);
    expect(r.code, describeRun(r)).toBe(0);
    const fields = r.stdout.trimEnd().split('\t');
    expect(fields[0]).toMatch(/^usr_[a-z2-7]{16}$/);
    expect(fields.slice(1)).toEqual(['alice', 'Alice Liddell', 'alice@example.com', '+15551234567', 'user', 'active']);
    expect(r.stderr).toContain('Added user alice');

    const j = await env.tacJson<UserJson>(['users', 'add', '--username', 'bob', '--email', 'bob@example.com']);
    expect(j.code).toBe(0);
    expect(j.json).toMatchObject({ username: 'bob', email: 'bob@example.com', phone: null, name: null, guest: false, disabled: false, failedAttempts: 0, consecutiveFailures: 0, lockedUntil: null });
    expect(j.json.id).toMatch(/^usr_/);
  });

  it('users add requires --username and --email and validates values (exit 2)', async () => {
    let r = await env.tac(['users', 'add', '--email', 'nouser@example.com']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--username/);
    r = await env.tac(['users', 'add', '--username', 'nomail']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--email/);
    r = await env.tac(['users', 'add', '--username', 'badmail', '--email', 'not-an-email']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a valid email');
    r = await env.tac(['users', 'add', '--username', 'badphone', '--email', 'bp@example.com', '--phone', '12ab']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('phone');
  });

  it('usernames, emails and phones are unique case-insensitively (exit 5)', async () => {
    await env.addUser('carol', { email: 'carol@example.com', phone: '+4915112345678' });
    let r = await env.tac(['users', 'add', '--username', 'CAROL', '--email', 'other-carol@example.com']);
    expect(r.code, describeRun(r)).toBe(5);
    expect(r.stderr).toMatch(/^error: .*username/);
    r = await env.tac(['users', 'add', '--username', 'carol2', '--email', 'CAROL@EXAMPLE.COM']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^error: .*email/);
    r = await env.tac(['users', 'add', '--username', 'carol3', '--email', 'carol3@example.com', '--phone', '+49 151 12345678']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^error: .*phone/);
    const search = await env.tacJson<UserJson[]>(['users', 'search', 'carol']);
    expect(search.json.map((u) => u.username)).toEqual(['carol']);
  });

  it('USER is detected as id, username, email or phone', async () => {
    const u = await env.addUser('dave', { email: 'dave@example.com', phone: '+15550001111', name: 'Dave Null' });
    for (const ref of [u.id, 'dave', 'dave@example.com', 'DAVE@example.COM', '+15550001111', '+1 (555) 000-1111']) {
      const r = await env.tacJson<UserDetailsJson>(['users', 'show', ref]);
      expect(r.code, describeRun(r)).toBe(0);
      expect(r.json.id).toBe(u.id);
    }
    const r = await env.tac(['users', 'show', 'nobody-here']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: user "nobody-here" not found\n$/);
  });

  it('users show: record when piped, JSON with lock state and current TAC', async () => {
    await env.addUser('erin');
    let r = await env.tac(['users', 'show', 'erin']);
    expect(r.code).toBe(0);
    const rec = Object.fromEntries(r.stdout.trimEnd().split('\n').map((l) => l.split('\t') as [string, string]));
    expect(rec).toMatchObject({ username: 'erin', email: 'erin@example.com', type: 'user', state: 'active', tac: 'none', 'failed attempts': '0 (0 since the last unlock or one-time sign-in)' });
    const issued = await env.issue('erin');
    const j = await env.tacJson<UserDetailsJson>(['users', 'show', 'erin']);
    expect(j.json.locked).toBe(false);
    expect(j.json.currentTac).toMatchObject({ id: issued.id, status: 'active' });
    r = await env.tac(['users', 'show', 'erin']);
    expect(r.stdout).toContain(`tac\t${issued.id} active`);
  });

  it('users search matches username, email, name and phone; --guests and --limit', async () => {
    const s = await env.isolated('search');
    await s.addUser('frank', { email: 'frank@corp.example', name: 'Frank Zappa', phone: '+15557778888' });
    await s.addUser('grace', { email: 'grace@corp.example', name: 'Grace Hopper' });
    await s.addUser('visitor1', { email: 'v1@guest.example', guest: true });
    const names = async (...args: string[]) => (await s.tacJson<UserJson[]>(['users', 'search', ...args])).json.map((u) => u.username).sort();
    expect(await names('frank')).toEqual(['frank']);
    expect(await names('corp.example')).toEqual(['frank', 'grace']);
    expect(await names('Hopper')).toEqual(['grace']);
    expect(await names('7778888')).toEqual(['frank']);
    expect(await names()).toEqual(['frank', 'grace', 'visitor1']);
    expect(await names('--guests')).toEqual(['visitor1']);
    expect((await names('--limit', '2')).length).toBe(2);
    const r = await s.tac(['users', 'search', 'visitor1']);
    expect(r.stdout.split('\t')).toContain('guest');
    const bad = await s.tac(['users', 'search', '--limit', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--limit');
    const none = await s.tac(['users', 'search', 'zzzz-nothing']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
  });

  it('users disable revokes the live TAC and blocks generate; enable restores', async () => {
    await env.addUser('hank');
    const issued = await env.issue('hank');
    let r = await env.tac(['users', 'disable', '--yes', 'hank']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toContain('\tdisabled');
    const [tac] = await env.listJson('--user', 'hank');
    expect(tac).toMatchObject({ id: issued.id, status: 'revoked', revokedReason: 'user_disabled' });
    r = await env.tac(['generate', '--verified-by', 'callback', '--user', 'hank']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^error: .*disabled/);
    r = await env.tac(['users', 'enable', 'hank']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\tactive');
    await env.issue('hank');
  });

  it('users delete requires --yes (exit 2, user kept) and then removes the user', async () => {
    const u = await env.addUser('ivan');
    const t = await env.issue('ivan');
    let r = await env.tac(['users', 'delete', 'ivan']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--yes/);
    expect((await env.tac(['users', 'show', 'ivan'])).code).toBe(0);
    r = await env.tac(['users', 'delete', 'ivan', '--yes']);
    expect(r.code, describeRun(r)).toBe(0);
    expect((await env.tac(['users', 'show', 'ivan'])).code).toBe(3);
    expect((await env.tac(['users', 'delete', 'ivan', '--yes'])).code).toBe(3);
    // Their TACs went with them.
    expect((await env.listJson()).map((x) => x.id)).not.toContain(t.id);
    expect((await env.tac(['delete', '--yes', t.id])).code).toBe(3);
    // The audit log keeps the deleted user's events, queryable by id.
    const events = await env.auditJson('--user', u.id);
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['user.created', 'tac.generated', 'user.deleted']));
    // The username is free again.
    await env.addUser('ivan');
  });

  it('users unlock clears failed attempts', async () => {
    await env.addUser('judy');
    await env.issue('judy');
    await env.verify('judy', 'WRONGWRONG');
    let j = await env.tacJson<UserDetailsJson>(['users', 'show', 'judy']);
    expect(j.json.failedAttempts).toBe(1);
    const r = await env.tac(['users', 'unlock', 'judy']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Unlocked judy');
    j = await env.tacJson<UserDetailsJson>(['users', 'show', 'judy']);
    expect(j.json.failedAttempts).toBe(0);
  });

  it('commands on an unknown user exit 3', async () => {
    for (const sub of ['show', 'unlock', 'disable', 'enable']) {
      const r = await env.tac(['users', sub, 'ghost', ...(sub === 'disable' ? ['--yes'] : [])]);
      expect(r.code, describeRun(r)).toBe(3);
      expect(r.stderr).toMatch(/^error: user "ghost" not found\n$/);
    }
  });

  it('phone numbers are one canonical form: no second user by another spelling, and verify by phone finds the first', async () => {
    const s = await env.isolated('phones');
    const bare = await s.tac(['users', 'add', '--username', 'pat', '--email', 'pat@example.com', '--phone', '5551234567']);
    expect(bare.code, describeRun(bare)).toBe(2);
    expect(bare.stderr).toBe('error: phone: "5551234567" has no country code: write it with + and the country code (e.g. +1 555 123 4567), or set a default region (tac policy set --phone-region US)\n');
    await s.setPolicy('--phone-region', 'us');
    const alice = await s.tacJson<UserJson>(['users', 'add', '--username', 'alice', '--email', 'alice@example.com', '--phone', '(555) 123-4567']);
    expect(alice.json.phone).toBe('+15551234567');
    const twin = await s.tac(['guests', 'create', '--email', 'mallory@example.com', '--phone', '15551234567']);
    expect(twin.code, describeRun(twin)).toBe(5);
    expect(twin.stderr).toMatch(/^error: phone: "\+15551234567" is already used by user alice$/m);
    const { code } = await s.issue('+1 555 123 4567');
    const ok = await s.verifyJson<{ valid: boolean; user: { username: string } }>('15551234567', code);
    expect(ok.json).toMatchObject({ valid: true, user: { username: 'alice' } });
    const bad = await s.tac(['policy', 'set', '--phone-region', 'XX']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: phoneRegion: "XX" is not a region with phone numbering rules/);
  });
});
