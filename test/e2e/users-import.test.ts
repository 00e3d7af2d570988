import { expect, it } from 'vitest';
import { describeBackends, describeRun, type TacEnv, type UserJson } from './helpers/tac.js';

const HEADER = 'username,email,phone,name,guest';

async function allUsers(env: TacEnv): Promise<UserJson[]> {
  const r = await env.tacJson<UserJson[]>(['users', 'search', '--limit', '1000']);
  expect(r.code, describeRun(r)).toBe(0);
  return r.json;
}

describeBackends('users import', (env) => {
  it('imports a CSV with a BOM, quoted fields (commas, doubled quotes) and CRLF line ends', async () => {
    const s = await env.isolated('ok');
    const csv = `\uFEFF${HEADER}\r\n`
      + 'amy,Amy@Example.com,+15550000001,"Pond, Amy",no\r\n'
      + 'rory,rory@example.com,,"Rory ""the Roman"" Williams",\r\n'
      + '\r\n'
      + 'clara,clara@example.com,,Clara,yes\r\n';
    const r = await s.tacJson<{ created: number; skipped: number }>(['users', 'import', s.file('users.csv', csv)]);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.json).toEqual({ created: 3, skipped: 0 });
    expect(r.stderr).toContain('3 created, 0 skipped, 0 failed');
    const users = await allUsers(s);
    const by = Object.fromEntries(users.map((u) => [u.username, u]));
    expect(Object.keys(by).sort()).toEqual(['amy', 'clara', 'rory']);
    expect(by.amy).toMatchObject({ email: 'amy@example.com', phone: '+15550000001', name: 'Pond, Amy', guest: false });
    expect(by.rory).toMatchObject({ name: 'Rory "the Roman" Williams', guest: false, phone: null });
    expect(by.clara).toMatchObject({ guest: true });
  });

  it('reads the CSV from standard input with "-"', async () => {
    const s = await env.isolated('stdin');
    const r = await s.tac(['users', 'import', '-'], { stdin: 'username,email\nsid,sid@example.com\n' });
    expect(r.code, describeRun(r)).toBe(0);
    expect((await allUsers(s)).map((u) => u.username)).toEqual(['sid']);
  });

  it('a bad row anywhere: exit 2 naming the line, and nothing is imported', async () => {
    const s = await env.isolated('bad');
    const csv = `${HEADER}\nok1,ok1@example.com,,,\nok2,ok2@example.com,,,\nbroken,not-an-email,,,\nok3,ok3@example.com,,,\n`;
    const r = await s.tac(['users', 'import', s.file('bad.csv', csv)]);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/line 4\b/);
    expect(r.stderr).toContain('nothing was imported');
    expect(r.stdout).toBe('');
    expect(await allUsers(s)).toEqual([]);
    expect(await s.auditJson('--action', 'user.created')).toEqual([]);
  });

  it('a row with the wrong number of fields or a bad guest value names its line', async () => {
    const s = await env.isolated('fields');
    let r = await s.tac(['users', 'import', s.file('a.csv', `${HEADER}\nok,ok@example.com,,,\nshort,short@example.com\n`)]);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/line 3/);
    r = await s.tac(['users', 'import', s.file('b.csv', `${HEADER}\nok,ok@example.com,,,maybe\n`)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 2: guest/);
    expect(await allUsers(s)).toEqual([]);
  });

  it('an unknown or missing header column is refused (exit 2, line 1)', async () => {
    const s = await env.isolated('header');
    let r = await s.tac(['users', 'import', s.file('h1.csv', 'username,mail\nx,x@example.com\n')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 1/);
    r = await s.tac(['users', 'import', s.file('h2.csv', 'username,name\nx,X\n')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 1.*email/);
    r = await s.tac(['users', 'import', s.newPath('missing.csv')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('does not exist');
    expect(await allUsers(s)).toEqual([]);
  });

  it('a duplicate email inside the file names both lines; nothing is imported', async () => {
    const s = await env.isolated('dupe');
    const csv = `${HEADER}\nu1,same@example.com,,,\nu2,other@example.com,,,\nu3,SAME@example.com,,,\n`;
    const r = await s.tac(['users', 'import', s.file('dupe.csv', csv)]);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/line 4\b.*line 2\b|line 2\b.*line 4\b/);
    expect(await allUsers(s)).toEqual([]);
  });

  it('a duplicate username inside the file (case-insensitive) is refused', async () => {
    const s = await env.isolated('dupe-username');
    const r = await s.tac(['users', 'import', s.file('d.csv', `${HEADER}\nsame,a@example.com,,,\nSAME,b@example.com,,,\n`)]);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/line 3.*line 2/);
    expect(await allUsers(s)).toEqual([]);
  });

  it('an existing email: exit 5 and nothing imported, unless --on-existing skip', async () => {
    const s = await env.isolated('existing');
    await s.addUser('old', { email: 'old@example.com' });
    const path = s.file('existing.csv', `${HEADER}\nnew1,new1@example.com,,,\nold2,OLD@example.com,,,\n`);
    let r = await s.tac(['users', 'import', path]);
    expect(r.code, describeRun(r)).toBe(5);
    expect(r.stderr).toMatch(/line 3.*old@example\.com/);
    expect((await allUsers(s)).map((u) => u.username)).toEqual(['old']);

    r = await s.tac(['users', 'import', path, '--on-existing', 'skip', '--json']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ created: 1, skipped: 1 });
    expect((await allUsers(s)).map((u) => u.username).sort()).toEqual(['new1', 'old']);
    // The skipped row did not change the existing user.
    const old = await s.tacJson<UserJson>(['users', 'show', 'old']);
    expect(old.json.username).toBe('old');

    r = await s.tac(['users', 'import', path, '--on-existing', 'bogus']);
    expect(r.code).toBe(2);
  });

  it('an existing username (different email) is a conflict and nothing is imported', async () => {
    const s = await env.isolated('existing-username');
    await s.addUser('taken', { email: 'taken@example.com' });
    const r = await s.tac(['users', 'import', s.file('u.csv', `${HEADER}\nfresh,fresh@example.com,,,\nTAKEN,another@example.com,,,\n`)]);
    expect(r.code, describeRun(r)).toBe(5);
    expect(r.stderr).toMatch(/line 3/);
    expect((await allUsers(s)).map((u) => u.username)).toEqual(['taken']);
  });

  it('an empty file (header only) is refused', async () => {
    const s = await env.isolated('empty');
    const r = await s.tac(['users', 'import', s.file('e.csv', `${HEADER}\n`)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no data rows');
  });
});
