import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useOktaFake } from './helpers/okta.js';
import { describeRun, filesUnder, parseJsonLines, type RunResult } from './helpers/tac.js';

/** tac against Okta (the contract fake): login both ways, whoami, users, generate, list, delete, policy, what Okta does not offer, audit, secrets. */

const { fake, client } = useOktaFake();
const ok = (r: RunResult) => expect(r.code, describeRun(r)).toBe(0);
const oneLine = (r: RunResult) => expect(r.stderr.trimEnd().split('\n'), describeRun(r)).toHaveLength(1);
const ALICE = '00ualice000000000001';
const BOB = '00ubob00000000000002';
/** Okta's TAC: 16 characters of the authenticator's classes (the fake draws digits, letters and specials). */
const CODE_RE = /^[0-9A-Za-z!@#$%^&*]{16}$/;

describe('okta: login and whoami', () => {
  it('an API token: proved by GET /api/v1/users/me, stored 0600 (never in the profile); whoami names the admin it acts as', async () => {
    const c = client('token');
    const r = await c.loginToken(['--json']);
    ok(r);
    const creds = join(c.dirs.config, 'tac', 'credentials.json');
    expect(JSON.parse(r.stdout)).toMatchObject({ profile: 'default', provider: 'okta', server: fake().url, clientId: null, agent: 'admin@example.com', tokenExpiresAt: null, secretStorage: `file:${creds}` });
    expect(statSync(creds).mode & 0o777).toBe(0o600);
    const cfg = readFileSync(join(c.dirs.config, 'tac', 'config.json'), 'utf8');
    expect(JSON.parse(cfg).profiles.default).toMatchObject({ type: 'remote', server: fake().url, provider: 'okta', auth: 'api_token' });
    expect(cfg).not.toContain(fake().apiToken);
    const who = await c.tac(['whoami']);
    ok(who);
    expect(who.stdout).toMatch(/^provider\tokta$/m);
    expect(who.stdout).toMatch(/^agent\tadmin@example\.com$/m);
    expect(r.stdout + r.stderr + who.stdout + who.stderr).not.toContain(fake().apiToken);
    expect((await fake().requests()).some((q) => q.path === '/api/v1/users/me' && q.auth === 'SSWS')).toBe(true);
    ok(await c.tac(['logout']));
    expect(readFileSync(creds, 'utf8')).not.toContain(fake().apiToken);
    const after = await c.tac(['users', 'show', 'alice']);
    expect(after.code).toBe(4);
    expect(after.stderr).toContain(`run tac login --provider okta --server ${fake().url} (or set TAC_API_TOKEN)`);
  });

  it('a service app: private_key_jwt to {server}/oauth2/v1/token for the four scopes; the profile keeps the key file\'s path, never the key', async () => {
    const c = client('key');
    const r = await c.loginKey(['--json']);
    ok(r);
    expect(JSON.parse(r.stdout)).toMatchObject({
      provider: 'okta', clientId: fake().clientId, agent: null,
      scopes: ['okta.users.read', 'okta.users.manage', 'okta.authenticators.read', 'okta.authenticators.manage'],
      secretStorage: `key file:${fake().privateKeyFile}`,
    });
    expect(Date.parse(JSON.parse(r.stdout).tokenExpiresAt)).toBeGreaterThan(Date.now());
    const cfg = JSON.parse(readFileSync(join(c.dirs.config, 'tac', 'config.json'), 'utf8'));
    expect(cfg.profiles.default).toMatchObject({ provider: 'okta', auth: 'private_key', clientId: fake().clientId, privateKeyFile: fake().privateKeyFile });
    const tokensBefore = (await fake().requests()).filter((q) => q.path === '/oauth2/v1/token').length;
    const show = await c.tac(['users', 'show', 'alice', '--json']);
    ok(show);
    // The Bearer token is cached (0600, as a client secret's tokens are): the next command needs no new one.
    expect((await fake().requests()).filter((q) => q.path === '/oauth2/v1/token')).toHaveLength(tokensBefore);
    expect(filesUnder(c.root).map((f) => f.slice(c.root.length))).toContain('/xdg-config/tac/credentials.json');
    const key = readFileSync(fake().privateKeyFile, 'utf8').split('\n')[1]!;
    for (const f of filesUnder(c.root)) expect(readFileSync(f, 'utf8'), f).not.toContain(key);
    const who = JSON.parse((await c.tac(['whoami', '--json'])).stdout);
    expect(who).toMatchObject({ provider: 'okta', clientId: fake().clientId });
  });

  it('a wrong API token is refused (exit 4, one line) and nothing is stored; --provider okta is known', async () => {
    const c = client('bad');
    const r = await c.loginToken([], 'wrong-token');
    expect(r.code, describeRun(r)).toBe(4);
    oneLine(r);
    expect(r.stderr).toMatch(/^error: okta at http:\/\/127\.0\.0\.1:\d+ refused the API token for checking the API token: Invalid token provided; run tac login --provider okta\n$/);
    expect(r.stderr).not.toContain('wrong-token');
    expect(filesUnder(c.root)).toEqual([]);
    const secret = await c.tac(['login', '--provider', 'okta', '--server', fake().url, '--client-id', 'x', '--client-secret-stdin'], { stdin: 's\n' });
    expect(secret.code).toBe(2);
    expect(secret.stderr).toContain('okta does not take --client-secret-stdin; use --api-token-stdin or --private-key-file');
  });
});

describe('okta: users', () => {
  it('show by login, short name, id, an email that is not a login, a phone; Okta statuses; unknown user exit 3', async () => {
    const c = client('users');
    ok(await c.loginToken());
    const show = await c.tac(['users', 'show', 'alice@example.com', '--json']);
    ok(show);
    expect(JSON.parse(show.stdout)).toEqual({
      id: ALICE, username: 'alice@example.com', email: 'alice@example.com', phone: '+15550101010', name: 'Alice Smith', guest: null, disabled: false,
      failedAttempts: null, consecutiveFailures: null, lockedUntil: null, createdAt: '2026-01-05T09:00:00.000Z', updatedAt: '2026-02-01T10:00:00.000Z', locked: false, currentTac: null,
    });
    for (const ref of ['alice', ALICE, '+1 555 010 1010']) expect(JSON.parse((await c.tac(['users', 'show', ref, '--json'])).stdout).id, ref).toBe(ALICE);
    // frank's login is frank@corp.example: his email is found by search=profile.email eq "…".
    expect(JSON.parse((await c.tac(['users', 'show', 'frank@example.com', '--json'])).stdout)).toMatchObject({ username: 'frank@corp.example', email: 'frank@example.com' });
    expect(JSON.parse((await c.tac(['users', 'show', 'carol', '--json'])).stdout)).toMatchObject({ disabled: true, locked: false });
    expect(JSON.parse((await c.tac(['users', 'show', 'erin', '--json'])).stdout)).toMatchObject({ disabled: false, locked: true });
    const none = await c.tac(['users', 'show', 'nobody']);
    expect(none.code).toBe(3);
    expect(none.stderr).toBe('error: user "nobody" not found in okta\n');
    const search = await c.tac(['users', 'search', 'bo']);
    ok(search);
    expect(search.stdout).toBe(`${BOB}\tbob@example.com\tBob Jones\tbob@example.com\t\t\tactive\n`);
    const exact = JSON.parse((await c.tac(['users', 'search', 'frank@example.com', '--json'])).stdout);
    expect(exact.map((u: { id: string }) => u.id)).toEqual(['00ufrank0000000000006']);
    const queries = (await fake().requests()).filter((q) => q.path === '/api/v1/users').map((q) => decodeURIComponent(q.query));
    expect(queries).toContain('?q=bo&limit=100');
    expect(queries).toContain('?search=profile.email eq "frank@example.com"&limit=100');
  });
});

describe('okta: generate, list, delete', () => {
  it('generate prints the code once: piped bare, --json in the IssuedTac shape with Okta\'s UTC expiry; the previous TAC is replaced', async () => {
    const c = client('gen');
    ok(await c.loginToken());
    const refused = await c.tac(['generate', '--user', 'alice']);
    expect(refused.code).toBe(2);
    const piped = await c.tac(['generate', '--user', 'alice', '--verified-by', 'callback']);
    ok(piped);
    expect(piped.stdout.trimEnd()).toMatch(CODE_RE);
    const json = await c.tac(['generate', '--user', 'alice@example.com', '--verified-by', 'id-document', '--ttl', '30m', '--json']);
    ok(json);
    const t = JSON.parse(json.stdout);
    expect(Object.keys(t)).toEqual(['id', 'code', 'status', 'startsAt', 'expiresAt', 'oneTime', 'user']);
    expect(t).toMatchObject({ status: 'active', oneTime: true, user: { id: ALICE, username: 'alice@example.com', email: 'alice@example.com', name: 'Alice Smith', guest: null } });
    expect(t.code).toMatch(CODE_RE);
    expect(json.stdout.split(t.code)).toHaveLength(2);
    expect(t.id).toMatch(new RegExp(`^${ALICE}:tac[0-9a-f]+$`));
    expect(t.expiresAt).toMatch(/Z$/);
    expect(Math.abs(Date.parse(t.expiresAt) - Date.parse(t.startsAt) - 30 * 60_000)).toBeLessThan(1000);
    const multi = JSON.parse((await c.tac(['generate', '--user', 'bob', '--verified-by', 'callback', '--multi-use', '--json'])).stdout);
    expect(multi.oneTime).toBe(false);
    const list = await c.tac(['list', '--user', 'alice', '--json']);
    ok(list);
    const tacs = JSON.parse(list.stdout);
    expect(tacs).toHaveLength(1); // the second TAC replaced the first
    expect(tacs[0]).toMatchObject({ id: t.id, userId: ALICE, status: 'active', expiresAt: t.expiresAt, oneTime: true, useCount: null, createdBy: null, user: { id: ALICE } });
    const table = await c.tac(['list', '--user', 'alice']);
    expect(table.stdout).toContain(t.id);
    const posts = (await fake().requests()).filter((q) => q.method === 'POST' && q.path.endsWith('/authenticator-enrollments/tac'));
    expect(posts.map((q) => q.path)).toContain(`/api/v1/users/${ALICE}/authenticator-enrollments/tac`);
    expect(posts.every((q) => q.contentType === 'application/json')).toBe(true);
  });

  it('refused before any call: --ttl outside the authenticator\'s bounds, a suspended or deactivated user (exit 5), --starts-at; unknown user exit 3', async () => {
    const c = client('refuse');
    ok(await c.loginToken());
    const count = async () => (await fake().requests()).filter((q) => q.method === 'POST').length;
    const before = await count();
    const short = await c.tac(['generate', '--user', 'bob', '--verified-by', 'callback', '--ttl', '5m']);
    expect(short.code, describeRun(short)).toBe(5);
    expect(short.stderr).toBe('error: --ttl: 5 minutes is outside okta\'s TAC authenticator range of 10 to 720 minutes (minTtl, maxTtl)\n');
    expect((await c.tac(['generate', '--user', 'bob', '--verified-by', 'callback', '--ttl', '13h'])).code).toBe(5);
    const carol = await c.tac(['generate', '--user', 'carol@example.com', '--verified-by', 'callback']);
    expect(carol.code).toBe(5);
    expect(carol.stderr).toBe('error: user "carol@example.com" is suspended in okta and cannot receive a TAC\n');
    const dave = await c.tac(['generate', '--user', 'dave', '--verified-by', 'callback']);
    expect(dave.code).toBe(5);
    expect(dave.stderr).toContain('is deactivated (deprovisioned) in okta');
    const later = await c.tac(['generate', '--user', 'bob', '--verified-by', 'callback', '--starts-at', '+1h']);
    expect(later.code).toBe(5);
    expect(later.stderr).toBe('error: okta does not offer TACs that start later (tac generate --starts-at); issue the TAC when it is needed\n');
    expect(await count()).toBe(before);
    const nobody = await c.tac(['generate', '--user', 'nobody', '--verified-by', 'callback']);
    expect(nobody.code).toBe(3);
    expect(nobody.stderr).toBe('error: user "nobody" not found in okta\n');
  });

  it('list needs --user (Okta lists per user); delete by id (204) or --user; a bad or unknown id is exit 2 or 3', async () => {
    const c = client('delete');
    ok(await c.loginToken());
    const all = await c.tac(['list']);
    expect(all.code).toBe(2);
    expect(all.stderr).toBe('error: --user: okta lists TACs per user; give --user USER\n');
    const id = JSON.parse((await c.tac(['generate', '--user', 'frank@example.com', '--verified-by', 'callback', '--json'])).stdout).id;
    const del = await c.tac(['delete', id, '--yes', '--json']);
    ok(del);
    expect(JSON.parse(del.stdout).revoked).toMatchObject([{ id, status: 'revoked', revokedReason: 'deleted' }]);
    expect(JSON.parse((await c.tac(['list', '--user', 'frank@example.com', '--json'])).stdout)).toEqual([]);
    const again = await c.tac(['delete', id, '--yes']);
    expect(again.code).toBe(3);
    expect(again.stderr).toBe(`error: TAC ${id} not found in okta\n`);
    const password = await c.tac(['delete', '00ufrank0000000000006:laefrank000000000', '--yes']);
    expect(password.code, describeRun(password)).toBe(3); // an enrollment that is not a TAC is never deleted
    expect((await c.tac(['delete', 'tac123', '--yes'])).code).toBe(2);
    ok(await c.tac(['generate', '--user', 'frank@example.com', '--verified-by', 'callback']));
    const byUser = await c.tac(['delete', '--user', 'frank@example.com', '--yes', '--json']);
    ok(byUser);
    expect(JSON.parse(byUser.stdout).revoked).toHaveLength(1);
    const deletes = (await fake().requests()).filter((q) => q.method === 'DELETE').map((q) => q.path);
    expect(deletes).toContain(`/api/v1/users/00ufrank0000000000006/authenticator-enrollments/${id.split(':')[1]}`);
  });
});

describe('okta: policy and what Okta does not offer', () => {
  it('policy show is the TAC authenticator\'s configuration; set PUTs it back whole after checking Okta\'s ranges; multiUseAllowed false refuses --multi-use', async () => {
    const c = client('policy');
    ok(await c.loginToken());
    const show = await c.tac(['policy', 'show', '--json']);
    ok(show);
    expect(JSON.parse(show.stdout)).toEqual({
      oneTimeDefault: true, requireAttestation: true, enabled: true, minTtl: 10, maxTtl: 720, defaultTtl: 480, length: 16, complexity: { numbers: true, letters: true, specialCharacters: true }, multiUseAllowed: true,
    });
    expect((await c.tac(['policy', 'show'])).stdout).toMatch(/^mixedCase\tnot offered/m);
    // Given back unchanged (a file from policy show), it is accepted and PUT as it was.
    const file = join(c.root, 'policy.json');
    writeFileSync(file, show.stdout);
    expect(JSON.parse((await c.tac(['policy', 'set', '--from-file', file, '--json'])).stdout)).toEqual(JSON.parse(show.stdout));
    const set = await c.tac(['policy', 'set', '--max-ttl', '10h', '--length', '20', '--no-multi-use-allowed', '--json']);
    ok(set);
    expect(JSON.parse(set.stdout)).toMatchObject({ maxTtl: 600, length: 20, multiUseAllowed: false });
    expect(JSON.parse((await c.tac(['policy', 'show', '--json'])).stdout)).toMatchObject({ maxTtl: 600, length: 20, multiUseAllowed: false });
    const multi = await c.tac(['generate', '--user', 'bob', '--verified-by', 'callback', '--multi-use']);
    expect(multi.code).toBe(5);
    expect(multi.stderr).toBe('error: --multi-use: okta\'s TAC authenticator does not allow multi-use TACs (multiUseAllowed is false)\n');
    const code = (await c.tac(['generate', '--user', 'bob', '--verified-by', 'callback'])).stdout.trim();
    expect(code).toHaveLength(20);
    const puts = (await fake().requests()).filter((q) => q.method === 'PUT');
    const cases: [string[], number, string][] = [
      [['--max-ttl', '11d'], 2, 'error: --max-ttl: 15840 minutes is out of okta\'s range; allowed: 10 to 14400 minutes'],
      [['--length', '7'], 2, 'error: --length: 7 is out of okta\'s range; allowed: 8 to 64'],
      [['--min-ttl', '10h'], 2, 'error: --min-ttl: okta needs minTtl (600) below maxTtl (600) minutes'],
      [['--mixed-case'], 5, 'error: okta does not offer setting mixedCase (tac policy set --mixed-case)'],
      [['--disable'], 5, 'error: okta does not offer setting enabled (tac policy set --enable/--disable); activate or deactivate'],
      [['--lockout-duration', '5m'], 5, 'error: okta does not offer setting lockoutDuration'],
    ];
    for (const [flags, exit, message] of cases) {
      const r = await c.tac(['policy', 'set', ...flags]);
      expect(r.code, describeRun(r)).toBe(exit);
      oneLine(r);
      expect(r.stderr).toContain(message);
    }
    expect((await fake().requests()).filter((q) => q.method === 'PUT')).toHaveLength(puts.length);
    ok(await c.tac(['policy', 'set', '--max-ttl', '12h', '--length', '16', '--multi-use-allowed']));
  });

  it('verify, policy reset, users admin, guests, purge, agents: one line each, exit 5', async () => {
    const c = client('unsupported');
    ok(await c.loginToken());
    const cases: [string[], string][] = [
      [['verify', '--user', 'alice'], 'okta does not offer checking codes (tac verify); users sign in at Okta with the TAC'],
      [['policy', 'reset', '--yes'], 'okta does not offer resetting the code policy (tac policy reset)'],
      [['users', 'add', '--username', 'dan', '--email', 'dan@example.com'], 'okta does not offer adding users (tac users add); use the Okta Admin Console'],
      [['users', 'unlock', 'erin'], 'okta does not offer unlocking users'],
      [['guests', 'create', '--email', 'g@example.com'], 'okta does not offer guest accounts'],
      [['purge'], 'okta does not offer purging TACs (tac purge); Okta expires TACs itself'],
      [['agents', 'list'], 'okta does not offer tac agents'],
    ];
    for (const [args, message] of cases) {
      const r = await c.tac(args, { stdin: 'ABCD1234\n' });
      expect(r.code, describeRun(r)).toBe(5);
      oneLine(r);
      expect(r.stderr).toContain(`error: ${message}`);
    }
  });
});

describe('okta: audit and secrets', () => {
  it('tac\'s own trail (0600): generated, replaced, deleted, policy; no code, token or key in any file or non-issuing output', async () => {
    const c = client('audit');
    ok(await c.loginToken());
    const codes: string[] = [];
    const others: RunResult[] = [];
    codes.push((await c.tac(['generate', '--user', 'erin', '--verified-by', 'callback', '--reason', 'lost phone'])).stdout.trim());
    const second = JSON.parse((await c.tac(['generate', '--user', 'erin', '--verified-by', 'in-person', '--json'])).stdout);
    codes.push(second.code);
    others.push(await c.tac(['list', '--user', 'erin', '--json']), await c.tac(['users', 'show', 'erin', '--json']), await c.tac(['delete', second.id, '--yes']));
    others.push(await c.tac(['policy', 'set', '--default-ttl', '2h']), await c.tac(['whoami']));
    const audit = await c.tac(['audit', '--json']);
    ok(audit);
    others.push(audit, await c.tac(['audit', '--user', 'erin@example.com']));
    const events = parseJsonLines<{ action: string; userId: string | null; tacId: string | null; reason: string | null; details: Record<string, unknown> }>(audit.stdout);
    expect(events.map((e) => [e.action, e.reason])).toEqual([
      ['policy.updated', null], ['tac.revoked', 'deleted'], ['tac.generated', null], ['tac.revoked', 'replaced'], ['tac.generated', 'lost phone'],
    ]);
    expect(events[3]).toMatchObject({ userId: '00uerin00000000000005', details: { replacedBy: second.id } });
    expect(events[2]).toMatchObject({ tacId: second.id, details: { provider: 'okta', server: fake().url, verifiedBy: 'in-person' } });
    const file = join(c.dirs.data, 'tac', 'audit-default.jsonl');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const creds = join(c.dirs.config, 'tac', 'credentials.json');
    for (const f of filesUnder(c.root)) {
      const text = readFileSync(f, 'utf8');
      for (const code of codes) expect(text, f).not.toContain(code);
      if (f !== creds) expect(text, f).not.toContain(fake().apiToken);
    }
    for (const r of others) for (const secret of [...codes, fake().apiToken]) expect(r.stdout + r.stderr, describeRun(r)).not.toContain(secret);
    ok(await c.tac(['policy', 'set', '--default-ttl', '8h']));
  });
});
