import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEntraFake } from './helpers/entra.js';
import { describeRun, filesUnder, parseJsonLines, type RunResult } from './helpers/tac.js';

/** tac against Microsoft Entra (the contract fake): login, whoami, users, generate, list, delete, policy, audit, secrets. */

const { fake, cert, client } = useEntraFake();
const ok = (r: RunResult) => expect(r.code, describeRun(r)).toBe(0);
const oneLine = (r: RunResult) => expect(r.stderr.trimEnd().split('\n'), describeRun(r)).toHaveLength(1);
const ALICE = '4a1c6f2e-1a2b-4c3d-8e9f-0a1b2c3d4e5f';
const BOB = '7b2d8e3f-2b3c-4d4e-9f0a-1b2c3d4e5f60';
const posts = async () => (await fake().requests()).filter((q) => q.method === 'POST' && q.path.endsWith('/temporaryAccessPassMethods')).length;

describe('entra: login and whoami', () => {
  it('login with a client secret proves it with a token request and stores it (0600 file); whoami names the app and its granted permissions', async () => {
    const c = client('secret');
    const r = await c.login(['--json']);
    ok(r);
    const creds = join(c.dirs.config, 'tac', 'credentials.json');
    expect(JSON.parse(r.stdout)).toMatchObject({
      profile: 'default', provider: 'entra', server: fake().url, clientId: fake().clientId, secretStorage: `file:${creds}`,
      scopes: ['UserAuthenticationMethod.ReadWrite.All', 'User.Read.All', 'Policy.ReadWrite.AuthenticationMethod'],
    });
    expect(statSync(creds).mode & 0o777).toBe(0o600);
    const cfg = JSON.parse(readFileSync(join(c.dirs.config, 'tac', 'config.json'), 'utf8'));
    expect(cfg.profiles.default).toEqual({ type: 'remote', server: fake().url, clientId: fake().clientId, provider: 'entra', tokenUrl: fake().tokenUrl, tenant: fake().tenant });
    const who = await c.tac(['whoami']);
    ok(who);
    expect(who.stdout).toMatch(/^provider\tentra$/m);
    expect(who.stdout).toMatch(new RegExp(`^tenant\t${fake().tenant}$`, 'm'));
    expect(who.stdout).toMatch(/^scopes\tUserAuthenticationMethod\.ReadWrite\.All User\.Read\.All Policy\.ReadWrite\.AuthenticationMethod$/m);
    expect(r.stdout + r.stderr + who.stdout).not.toContain(fake().clientSecret);
    ok(await c.tac(['logout']));
    expect(readFileSync(creds, 'utf8')).not.toContain(fake().clientSecret);
    const after = await c.tac(['users', 'show', 'alice@contoso.com']);
    expect(after.code).toBe(4);
    expect(after.stderr).toContain(`run tac login --provider entra --server ${fake().url}`);
  });

  it('a wrong secret: exit 4, one line naming AADSTS7000215 and what to do; nothing stored', async () => {
    const c = client('bad');
    const r = await c.login([], 'wrong-secret');
    expect(r.code, describeRun(r)).toBe(4);
    oneLine(r);
    expect(r.stderr).toBe(`error: entra at ${fake().tokenUrl} refused a token for app ${fake().clientId} (AADSTS7000215): the client secret is wrong: use the secret's Value, not its Secret ID (Certificates & secrets)\n`);
    expect(filesUnder(c.root)).toEqual([]);
  });

  it('login with a certificate: the key stays in its file (the profile keeps the path); a key without its certificate is refused', async () => {
    const c = client('cert');
    const r = await c.loginWithCertificate(['--json']);
    ok(r);
    expect(JSON.parse(r.stdout)).toMatchObject({ provider: 'entra', clientId: fake().clientId, secretStorage: `key file:${cert.file}` });
    const cfg = JSON.parse(readFileSync(join(c.dirs.config, 'tac', 'config.json'), 'utf8'));
    expect(cfg.profiles.default).toMatchObject({ auth: 'private_key', privateKeyFile: cert.file, tenant: fake().tenant });
    ok(await c.tac(['users', 'show', 'alice@contoso.com']));
    const gen = await c.tac(['generate', '--user', 'bob@contoso.com', '--verified-by', 'callback']);
    ok(gen);
    const keyOnly = join(c.root, 'key-only.pem');
    writeFileSync(keyOnly, cert.keyPem, { mode: 0o600 });
    const refused = await client('keyonly').loginWithCertificate([], keyOnly);
    expect(refused.code, describeRun(refused)).toBe(2);
    oneLine(refused);
    expect(refused.stderr).toContain('has no certificate; put the certificate uploaded to the app registration in the same PEM file as its key');
    for (const f of filesUnder(c.root)) expect(readFileSync(f, 'utf8'), f).not.toContain(gen.stdout.trim());
  });
});

describe('entra: users', () => {
  it('users show by UPN, object id, mail and bare name; fields Entra lacks are null; disabled and guest users; unknown user exit 3', async () => {
    const c = client('users');
    ok(await c.login());
    const show = await c.tac(['users', 'show', 'alice@contoso.com', '--json']);
    ok(show);
    expect(JSON.parse(show.stdout)).toEqual({
      id: ALICE, username: 'alice@contoso.com', email: 'alice@contoso.com', phone: '+1 555 010 1010', name: 'Alice Smith', guest: false, disabled: false,
      failedAttempts: null, consecutiveFailures: null, lockedUntil: null, createdAt: '2026-01-05T09:00:00Z', updatedAt: null, locked: null, currentTac: null,
    });
    for (const ref of [ALICE, 'alice']) expect(JSON.parse((await c.tac(['users', 'show', ref, '--json'])).stdout).id).toBe(ALICE);
    // bob's mail differs from his UPN: found by `mail eq`.
    expect(JSON.parse((await c.tac(['users', 'show', 'bob.jones@contoso.com', '--json'])).stdout)).toMatchObject({ id: BOB, phone: '+1 555 020 2020' });
    expect(JSON.parse((await c.tac(['users', 'show', 'carol@contoso.com', '--json'])).stdout)).toMatchObject({ disabled: true });
    const none = await c.tac(['users', 'show', 'nobody@contoso.com']);
    expect(none.code).toBe(3);
    expect(none.stderr).toBe('error: user "nobody@contoso.com" not found in entra\n');
    // A quote in the term is doubled in the OData filter (the fake refuses a broken one).
    const quoted = await c.tac(['users', 'search', "Pat O'B", '--json']);
    ok(quoted);
    expect(JSON.parse(quoted.stdout)).toMatchObject([{ name: "Pat O'Brien", guest: true, email: null }]);
    const exact = await c.tac(['users', 'search', 'bob.jones@contoso.com']);
    expect(exact.stdout).toBe(`${BOB}\tbob@contoso.com\tBob Jones\tbob.jones@contoso.com\t+1 555 020 2020\tuser\tactive\n`);
    expect(JSON.parse((await c.tac(['users', 'search', '', '--json'])).stdout)).toHaveLength(4);
    expect(JSON.parse((await c.tac(['users', 'search', '', '--guests', '--json'])).stdout).map((u: { id: string }) => u.id)).toEqual(['0d4f1a5b-4d5e-4f6a-9b2c-3d4e5f607182']);
  });
});

describe('entra: generate, list, delete', () => {
  it('generate prints the pass once (piped bare, --json in the IssuedTac shape); a new pass replaces the previous one, audited as replaced', async () => {
    const c = client('gen');
    ok(await c.login());
    const refused = await c.tac(['generate', '--user', 'alice']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: --verified-by: the profile requires stating how the caller's identity was verified/);
    const first = await c.tac(['generate', '--user', 'alice', '--verified-by', 'callback', '--ttl', '2h', '--json']);
    ok(first);
    const t = JSON.parse(first.stdout);
    expect(Object.keys(t)).toEqual(['id', 'code', 'status', 'startsAt', 'expiresAt', 'oneTime', 'user']);
    expect(t).toMatchObject({ status: 'active', oneTime: true, user: { id: ALICE, username: 'alice@contoso.com', email: 'alice@contoso.com', name: 'Alice Smith', guest: false } });
    expect(t.id).toMatch(new RegExp(`^${ALICE}:[0-9a-f-]{36}$`));
    expect(Date.parse(t.expiresAt) - Date.parse(t.startsAt)).toBe(2 * 3_600_000);
    const piped = await c.tac(['generate', '--user', 'alice@contoso.com', '--verified-by', 'in-person', '--reason', 'new phone']);
    ok(piped);
    expect(piped.stdout).toMatch(/^\S{8}\n$/);
    const list = await c.tac(['list', '--user', 'alice', '--json']);
    ok(list);
    const passes = JSON.parse(list.stdout);
    expect(passes).toHaveLength(1);
    expect(passes[0]).toMatchObject({ userId: ALICE, status: 'active', oneTime: true, useCount: null, createdBy: null });
    expect(passes[0].id).not.toBe(t.id);
    const shown = JSON.parse((await c.tac(['users', 'show', 'alice', '--json'])).stdout);
    expect(shown.currentTac).toMatchObject({ id: passes[0].id, status: 'active', oneTime: true });
    expect(shown.currentTac.user).toBeUndefined();
    const audit = parseJsonLines<{ action: string; tacId: string; reason: string | null; details: Record<string, unknown> }>((await c.tac(['audit', '--json'])).stdout);
    expect(audit.map((e) => [e.action, e.tacId, e.reason])).toEqual([
      ['tac.generated', passes[0].id, 'new phone'], ['tac.revoked', t.id, 'replaced'], ['tac.generated', t.id, null],
    ]);
    expect(audit[0]!.details).toMatchObject({ provider: 'entra', verifiedBy: 'in-person', ttlMinutes: 60 });
    const starts = await c.tac(['generate', '--user', 'bob@contoso.com', '--verified-by', 'callback', '--starts-at', '+1h', '--multi-use', '--json']);
    ok(starts);
    expect(JSON.parse(starts.stdout)).toMatchObject({ status: 'pending', oneTime: false });
    for (const code of [t.code, piped.stdout.trim()]) {
      for (const f of filesUnder(c.root)) expect(readFileSync(f, 'utf8'), f).not.toContain(code);
      expect(list.stdout).not.toContain(code);
    }
  });

  it('refused before the call, exit 5: --ttl outside the tenant policy or Graph\'s bounds (named), a disabled user, multi-use when the policy forces one-time', async () => {
    const c = client('refuse');
    ok(await c.login());
    const before = await posts();
    const short = await c.tac(['generate', '--user', 'alice', '--verified-by', 'callback', '--ttl', '30m']);
    expect(short.code, describeRun(short)).toBe(5);
    expect(short.stderr).toBe("error: --ttl: 30 minutes is outside the tenant's Temporary Access Pass policy: 60 to 480 minutes\n");
    const long = await c.tac(['generate', '--user', 'alice', '--verified-by', 'callback', '--ttl', '31d']);
    expect(long.code).toBe(5);
    expect(long.stderr).toBe('error: --ttl: 44640 minutes is outside what Entra allows for a Temporary Access Pass: 10 to 43200 minutes\n');
    const carol = await c.tac(['generate', '--user', 'carol@contoso.com', '--verified-by', 'callback']);
    expect(carol.code).toBe(5);
    expect(carol.stderr).toBe('error: user "carol@contoso.com" is disabled in entra and cannot get a Temporary Access Pass\n');
    ok(await c.tac(['policy', 'set', '--no-multi-use-allowed']));
    const multi = await c.tac(['generate', '--user', 'alice', '--verified-by', 'callback', '--multi-use']);
    expect(multi.code).toBe(5);
    expect(multi.stderr).toContain("--multi-use: the tenant's Temporary Access Pass policy allows one-time passes only");
    ok(await c.tac(['policy', 'reset', '--yes']));
    expect(await posts()).toBe(before);
    const unknown = await c.tac(['generate', '--user', 'nobody@contoso.com', '--verified-by', 'callback']);
    expect(unknown.code).toBe(3);
  });

  it('list needs --user (one line); delete by id or --user deletes live passes and audits them; bad or unknown ids: exit 2, 3', async () => {
    const c = client('delete');
    ok(await c.login());
    const all = await c.tac(['list']);
    expect(all.code).toBe(2);
    oneLine(all);
    expect(all.stderr).toBe('error: entra lists Temporary Access Passes per user: give --user USER\n');
    const id = JSON.parse((await c.tac(['generate', '--user', 'bob', '--verified-by', 'callback', '--json'])).stdout).id;
    const table = await c.tac(['list', '--user', 'bob']);
    expect(table.stdout).toMatch(new RegExp(`^${id}\tbob@contoso.com\tactive\t\\S+\t\\S+\tone-time\t\t\n$`));
    const del = await c.tac(['delete', id, '--yes', '--json']);
    ok(del);
    expect(JSON.parse(del.stdout).revoked).toMatchObject([{ id, status: 'revoked', revokedReason: 'deleted' }]);
    expect(JSON.parse((await c.tac(['list', '--user', 'bob', '--json'])).stdout)).toEqual([]);
    const again = await c.tac(['delete', id, '--yes']);
    expect(again.code).toBe(3);
    expect(again.stderr).toBe(`error: TAC ${id} not found in entra\n`);
    const bad = await c.tac(['delete', 'tac_123', '--yes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('TAC id; use the id tac list shows (<user id>:<TAC id>)');
    const id2 = JSON.parse((await c.tac(['generate', '--user', 'bob', '--verified-by', 'callback', '--json'])).stdout).id;
    await fake().usePass(BOB);
    expect(JSON.parse((await c.tac(['list', '--user', 'bob', '--status', 'used', '--json'])).stdout).map((p: { id: string }) => p.id)).toEqual([id2]);
    const usedDelete = await c.tac(['delete', '--user', 'bob', '--yes', '--json']);
    expect(JSON.parse(usedDelete.stdout)).toEqual({ revoked: [] }); // a used pass is not live: nothing to revoke
    const id3 = JSON.parse((await c.tac(['generate', '--user', 'bob', '--verified-by', 'callback', '--json'])).stdout).id;
    const byUser = await c.tac(['delete', '--user', 'bob', '--yes', '--json']);
    expect(JSON.parse(byUser.stdout).revoked.map((p: { id: string }) => p.id)).toEqual([id3]);
    const actions = parseJsonLines<{ action: string; reason: string | null }>((await c.tac(['audit', '--user', 'bob@contoso.com', '--json'])).stdout);
    // Newest first; the oldest is the pass an earlier test gave bob, which this client's first generate replaced.
    expect(actions.filter((e) => e.action === 'tac.revoked').map((e) => e.reason)).toEqual(['deleted', 'replaced', 'deleted', 'replaced']);
  });
});

describe('entra: policy and what Entra does not offer', () => {
  it('policy show maps the TAP configuration (settings Entra lacks: not offered); set validates before the PATCH; reset restores Entra\'s defaults', async () => {
    const c = client('policy');
    ok(await c.login());
    const show = await c.tac(['policy', 'show', '--json']);
    ok(show);
    expect(show.stderr).toBe(''); // tac's own policy rules are not applied to Entra's settings
    expect(JSON.parse(show.stdout)).toEqual({ oneTimeDefault: true, requireAttestation: true, enabled: true, minTtl: 60, maxTtl: 480, defaultTtl: 60, length: 8, multiUseAllowed: true });
    expect((await c.tac(['policy', 'show'])).stdout).toMatch(/^maxFailedAttempts\tnot offered$/m);
    const patchCount = async () => (await fake().requests()).filter((q) => q.method === 'PATCH').length;
    const set = await c.tac(['policy', 'set', '--max-ttl', '10h', '--length', '12', '--json']);
    ok(set);
    expect(JSON.parse(set.stdout)).toMatchObject({ maxTtl: 600, length: 12 });
    const cases: [string[], number, string][] = [
      [['--max-failed-attempts', '5'], 5, 'error: entra does not offer setting maxFailedAttempts (tac policy set --max-failed-attempts); Entra applies its own sign-in lockout (Smart Lockout)'],
      [['--length', '6'], 2, 'error: --length: 6 is out of range; Entra allows 8 to 48'],
      [['--min-ttl', '5m'], 2, 'error: --min-ttl: 5 minutes is out of range; Entra allows 10 to 43200 minutes (30d)'],
      [['--default-ttl', '30m'], 2, 'error: --default-ttl: 30 minutes must be between the minimum and maximum lifetimes (60 to 600 minutes)'],
    ];
    const patches = await patchCount();
    for (const [flags, exit, message] of cases) {
      const r = await c.tac(['policy', 'set', ...flags]);
      expect(r.code, describeRun(r)).toBe(exit);
      expect(r.stderr).toBe(`${message}\n`);
    }
    expect(await patchCount()).toBe(patches); // refused before any PATCH
    // policy show --json given back to set --from-file: what tac itself shows may stay as it is.
    const file = join(c.root, 'policy.json');
    writeFileSync(file, show.stdout);
    const fromFile = await c.tac(['policy', 'set', '--from-file', file, '--json']);
    ok(fromFile);
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ maxTtl: 480, length: 8 });
    writeFileSync(file, JSON.stringify({ oneTimeDefault: false }));
    const changed = await c.tac(['policy', 'set', '--from-file', file]);
    expect(changed.code).toBe(5);
    expect(changed.stderr).toBe('error: entra does not offer setting oneTimeDefault (tac policy set --one-time-default); tac asks for a one-time pass unless generate --multi-use\n');
    ok(await c.tac(['policy', 'set', '--max-ttl', '10h']));
    const reset = await c.tac(['policy', 'reset', '--yes', '--json']);
    expect(JSON.parse(reset.stdout)).toMatchObject({ maxTtl: 480, length: 8 });
    const audit = parseJsonLines<{ action: string; details: Record<string, unknown> }>((await c.tac(['audit', '--action', 'policy.updated', '--json'])).stdout);
    expect(audit.map((e) => e.details)).toMatchObject([{ reset: true }, { changed: { maximumLifetimeInMinutes: 600 } }, { changed: { state: 'enabled' } }, { changed: { maximumLifetimeInMinutes: 600, defaultLength: 12 } }]);
  });

  it('verify and the commands Graph has no call for here: one line each, exit 5', async () => {
    const c = client('unsupported');
    ok(await c.login());
    const cases: [string[], string][] = [
      [['verify', '--user', 'alice'], 'entra does not offer checking a Temporary Access Pass (tac verify); users sign in with it at Microsoft'],
      [['users', 'add', '--username', 'dan', '--email', 'dan@contoso.com'], 'entra does not offer adding users (tac users add)'],
      [['guests', 'create', '--email', 'g@example.com'], 'entra does not offer guest accounts (tac guests create)'],
      [['purge'], 'entra does not offer purging TACs (tac purge); Entra removes expired passes itself'],
    ];
    for (const [args, message] of cases) {
      const r = await c.tac(args, { stdin: 'ABCDEFGH\n' });
      expect(r.code, describeRun(r)).toBe(5);
      oneLine(r);
      expect(r.stderr).toContain(`error: ${message}`);
    }
  });
});
