import { existsSync, readFileSync, statSync } from 'node:fs';
import { expect, it } from 'vitest';
import { DEFAULT_CODE_RE, describeBackends, describeRun, parseJsonLines, type IssuedJson, type UserJson } from './helpers/tac.js';

const mode = (p: string) => statSync(p).mode & 0o777;

describeBackends('guests', (env) => {
  it('guests create: JSON shape with user.guest true; the guest can sign in with the code', async () => {
    const r = await env.tacJson<IssuedJson>(['guests', 'create', '--email', 'Visitor@Example.com', '--name', 'Vera Visitor', '--ttl', '8h']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(Object.keys(r.json).sort()).toEqual(['code', 'expiresAt', 'id', 'oneTime', 'startsAt', 'status', 'user']);
    expect(r.json).toMatchObject({
      status: 'active', oneTime: true,
      user: { username: 'visitor@example.com', email: 'visitor@example.com', name: 'Vera Visitor', guest: true },
    });
    expect(Object.keys(r.json.user).sort()).toEqual(['email', 'guest', 'id', 'name', 'username']);
    expect(r.json.code).toMatch(DEFAULT_CODE_RE);
    expect((Date.parse(r.json.expiresAt) - Date.parse(r.json.startsAt)) / 60_000).toBe(480);
    expect((await env.verify('visitor@example.com', r.json.code)).code).toBe(0);
  });

  it('guests create piped prints only the code; --username and --phone are kept', async () => {
    const r = await env.tac(['guests', 'create', '--email', 'g2@example.com', '--username', 'guest-two', '--phone', '+15559990000']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}\n$/);
    const u = await env.tacJson<UserJson>(['users', 'show', '+15559990000']);
    expect(u.json).toMatchObject({ username: 'guest-two', email: 'g2@example.com', guest: true });
  });

  it('guests are listed by users search --guests and marked in tables', async () => {
    await env.addUser('staffer');
    const guests = await env.tacJson<UserJson[]>(['users', 'search', '--guests']);
    expect(guests.json.length).toBeGreaterThan(0);
    expect(guests.json.every((u) => u.guest)).toBe(true);
    expect(guests.json.map((u) => u.email)).toContain('visitor@example.com');
    expect(guests.json.map((u) => u.username)).not.toContain('staffer');

    const search = await env.tac(['users', 'search', 'visitor@example.com']);
    expect(search.stdout.trimEnd().split('\t')[5]).toBe('guest');
    const staff = await env.tac(['users', 'search', 'staffer']);
    expect(staff.stdout.trimEnd().split('\t')[5]).toBe('user');
    const list = await env.tac(['list', '--user', 'visitor@example.com']);
    expect(list.stdout.split('\t')[1]).toBe('visitor@example.com (guest)');
  });

  it('guests create refuses an existing email (exit 5), a bad email (exit 2), a missing --email (exit 2)', async () => {
    let r = await env.tac(['guests', 'create', '--email', 'VISITOR@example.com']);
    expect(r.code, describeRun(r)).toBe(5);
    r = await env.tac(['guests', 'create', '--email', 'nope']);
    expect(r.code).toBe(2);
    r = await env.tac(['guests', 'create']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*--email/);
  });

  it('guests create checks the TTL and multi-use policy before creating anyone', async () => {
    let r = await env.tac(['guests', 'create', '--email', 'toolong@example.com', '--ttl', '9h']);
    expect(r.code).toBe(5);
    r = await env.tac(['guests', 'create', '--email', 'toolong@example.com', '--multi-use']);
    expect(r.code).toBe(5);
    expect((await env.tac(['users', 'show', 'toolong@example.com'])).code).toBe(3);
  });

  it('guests import: one JSON Lines code per row on stdout', async () => {
    const s = await env.isolated('import');
    const csv = '\uFEFFemail,name,username,phone\na@guests.example,"Guest, A",,\nb@guests.example,Guest B,guest-b,+15551110000\n';
    const r = await s.tac(['guests', 'import', s.file('g.csv', csv)]);
    expect(r.code, describeRun(r)).toBe(0);
    const lines = parseJsonLines<IssuedJson>(r.stdout);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(lines.map((l) => l.user.email)).toEqual(['a@guests.example', 'b@guests.example']);
    expect(lines[0]!.user).toMatchObject({ username: 'a@guests.example', name: 'Guest, A', guest: true });
    expect(lines[1]!.user).toMatchObject({ username: 'guest-b', name: 'Guest B', guest: true });
    for (const l of lines) expect(l.code).toMatch(DEFAULT_CODE_RE);
    expect(r.stderr).toContain('2 created, 0 reissued, 0 skipped');
    expect((await s.verify('guest-b', lines[1]!.code)).code).toBe(0);
  });

  it('guests import --out writes a new 0600 file and nothing to stdout', async () => {
    const s = await env.isolated('out');
    const out = s.newPath('codes.jsonl');
    const r = await s.tac(['guests', 'import', s.file('g.csv', 'email,name\nc@guests.example,C\nd@guests.example,D\n'), '--out', out]);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toBe('');
    expect(mode(out)).toBe(0o600);
    const lines = parseJsonLines<IssuedJson>(readFileSync(out, 'utf8'));
    expect(lines.map((l) => l.user.email)).toEqual(['c@guests.example', 'd@guests.example']);
    expect(r.stderr).toContain(out);
    expect(r.stderr).not.toContain(lines[0]!.code);
  });

  it('guests import --out never overwrites an existing file (exit 2, file untouched, nothing imported)', async () => {
    const s = await env.isolated('out-exists');
    const out = s.file('existing.jsonl', 'precious\n');
    const r = await s.tac(['guests', 'import', s.file('g.csv', 'email\ne@guests.example\n'), '--out', out]);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/^error: --out: .*exists/);
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    expect((await s.tacJson<UserJson[]>(['users', 'search', '--guests'])).json).toEqual([]);
  });

  it('guests import: a bad row anywhere writes nothing and reports line numbers', async () => {
    const s = await env.isolated('bad');
    const out = s.newPath('codes.jsonl');
    const csv = 'email,name\nok1@guests.example,One\nok2@guests.example,Two\nnot-an-email,Bad\nok3@guests.example,Three\nok1@guests.example,Dupe\n';
    let r = await s.tac(['guests', 'import', s.file('bad.csv', csv), '--out', out]);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/line 4\b/);
    expect(r.stderr).toMatch(/line 6\b.*line 2\b/);
    expect(r.stderr).toContain('nothing was imported');
    expect(existsSync(out)).toBe(false);
    r = await s.tac(['guests', 'import', s.file('bad.csv', csv)]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect((await s.tacJson<UserJson[]>(['users', 'search'])).json).toEqual([]);
    expect(await s.listJson()).toEqual([]);
  });

  it('guests import --on-existing fail (default) | skip | reissue', async () => {
    const s = await env.isolated('on-existing');
    const first = await s.tacJson<IssuedJson>(['guests', 'create', '--email', 'known@guests.example', '--name', 'Known']);
    expect(first.code).toBe(0);
    await s.addUser('employee', { email: 'employee@corp.example' });
    const csv = s.file('g.csv', 'email,name\nknown@guests.example,Known Again\nfresh@guests.example,Fresh\n');

    // fail: exit 5, the clash is named by line, nothing imported.
    let r = await s.tac(['guests', 'import', csv]);
    expect(r.code, describeRun(r)).toBe(5);
    expect(r.stderr).toMatch(/line 2.*known@guests\.example/);
    expect(r.stdout).toBe('');
    expect((await s.tac(['users', 'show', 'fresh@guests.example'])).code).toBe(3);
    r = await s.tac(['guests', 'import', csv, '--on-existing', 'fail']);
    expect(r.code).toBe(5);

    // skip: the existing guest keeps their code, the new one is created.
    r = await s.tac(['guests', 'import', csv, '--on-existing', 'skip']);
    expect(r.code, describeRun(r)).toBe(0);
    let lines = parseJsonLines<IssuedJson>(r.stdout);
    expect(lines.map((l) => l.user.email)).toEqual(['fresh@guests.example']);
    expect(r.stderr).toContain('1 created, 0 reissued, 1 skipped');
    const knownTacs = await s.listJson('--user', 'known@guests.example');
    expect(knownTacs.map((t) => [t.id, t.status])).toEqual([[first.json.id, 'active']]);

    // reissue: both exist now; each gets a new code, the old one is replaced.
    r = await s.tac(['guests', 'import', csv, '--on-existing', 'reissue']);
    expect(r.code, describeRun(r)).toBe(0);
    lines = parseJsonLines<IssuedJson>(r.stdout);
    expect(lines.map((l) => l.user.email)).toEqual(['known@guests.example', 'fresh@guests.example']);
    expect(r.stderr).toContain('0 created, 2 reissued, 0 skipped');
    expect((await s.verifyJson('known@guests.example', first.json.code)).json).toEqual({ valid: false, reason: 'revoked' });
    expect((await s.verify('known@guests.example', lines[0]!.code)).code).toBe(0);

    // reissue never applies to regular users.
    r = await s.tac(['guests', 'import', s.file('emp.csv', 'email\nemployee@corp.example\nanother@guests.example\n'), '--on-existing', 'reissue']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/line 2.*employee@corp\.example/);
    expect(r.stdout).toBe('');
    expect((await s.tac(['users', 'show', 'another@guests.example'])).code).toBe(3);
    expect(await s.listJson('--user', 'employee')).toEqual([]);
  });

  it('guests import from stdin and header checks', async () => {
    const s = await env.isolated('stdin');
    let r = await s.tac(['guests', 'import', '-'], { stdin: 'email\nstdin@guests.example\n' });
    expect(r.code, describeRun(r)).toBe(0);
    expect(parseJsonLines<IssuedJson>(r.stdout)).toHaveLength(1);
    r = await s.tac(['guests', 'import', '-'], { stdin: 'name\nNo Email\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 1.*email/);
    r = await s.tac(['guests', 'import', '-'], { stdin: 'email,guest\nx@guests.example,yes\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 1.*guest/);
  });
});
