import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useMosaicFake } from './helpers/mosaic.js';
import { describeRun, filesUnder, parseJsonLines, REPO_ROOT, type RunResult } from './helpers/tac.js';

/** tac against Transmit Mosaic (the contract fake): login, whoami, users, generate, verify, what Mosaic does not offer, audit, secrets. */

const { fake, client } = useMosaicFake();
const ok = (r: RunResult) => expect(r.code, describeRun(r)).toBe(0);
const oneLine = (r: RunResult) => expect(r.stderr.trimEnd().split('\n'), describeRun(r)).toHaveLength(1);

describe('mosaic: login and whoami', () => {
  it('login proves the secret with a token request, stores it (0600 file, warning) and makes a mosaic profile; whoami names provider, server, client', async () => {
    const c = client('login');
    const r = await c.login(['--json']);
    ok(r);
    const creds = join(c.dirs.config, 'tac', 'credentials.json');
    expect(JSON.parse(r.stdout)).toMatchObject({ profile: 'default', provider: 'mosaic', server: fake().url, clientId: fake().clientId, secretStorage: `file:${creds}` });
    expect(r.stderr).toContain(`the client secret is stored in ${creds} (mode 0600)`);
    expect(statSync(creds).mode & 0o777).toBe(0o600);
    const cfg = JSON.parse(readFileSync(join(c.dirs.config, 'tac', 'config.json'), 'utf8'));
    expect(cfg.profiles.default).toEqual({ type: 'remote', server: fake().url, clientId: fake().clientId, provider: 'mosaic' });
    const who = await c.tac(['whoami', '--json']);
    ok(who);
    expect(JSON.parse(who.stdout)).toMatchObject({ provider: 'mosaic', server: fake().url, clientId: fake().clientId, agent: null, role: null });
    const plain = await c.tac(['whoami']);
    expect(plain.stdout).toMatch(/^provider\tmosaic$/m);
    expect(plain.stdout).toMatch(new RegExp(`^client id\\t${fake().clientId}$`, 'm'));
    expect(r.stdout + r.stderr + who.stdout + plain.stdout).not.toContain(fake().clientSecret);
    const list = await c.tac(['config', 'list']);
    expect(list.stdout).toBe(`*\tdefault\tmosaic\t${fake().url}\t${fake().clientId}\n`);
    expect((await c.tac(['config', 'get', 'require-attestation'])).stdout).toBe('true\n');
    // Moving the profile to another server keeps it a mosaic profile.
    expect((await c.tac(['config', 'set', 'server', `${fake().url}/`])).code).toBe(0);
    expect((await c.tac(['config', 'list'])).stdout).toBe(`*\tdefault\tmosaic\t${fake().url}\t${fake().clientId}\n`);
    const out = await c.tac(['logout']);
    expect(out.code, describeRun(out)).toBe(0);
    expect(readFileSync(creds, 'utf8')).not.toContain(fake().clientSecret);
    const after = await c.tac(['users', 'show', 'alice']);
    expect(after.code).toBe(4);
    expect(after.stderr).toContain(`run tac login --provider mosaic --server ${fake().url}`);
  });

  it('a wrong secret is refused (exit 4, one line) and nothing is stored', async () => {
    const c = client('bad');
    const r = await c.login([], 'wrong-secret');
    expect(r.code, describeRun(r)).toBe(4);
    oneLine(r);
    expect(r.stderr).toMatch(/^error: mosaic at .*\/oidc\/token rejected client demo-client: Invalid client credentials; check the client id and secret/);
    expect(filesUnder(c.root)).toEqual([]);
  });

  it('--provider names the supported ones; plain http:// only to this machine', async () => {
    const c = client('prov');
    const r = await c.tac(['login', '--provider', 'onelogin', '--server', fake().url, '--client-id', 'x', '--client-secret-stdin'], { stdin: 's\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--provider.*onelogin.*tac, mosaic/);
    const http = await c.tac(['login', '--provider', 'mosaic', '--server', 'http://mosaic.example.com', '--client-id', 'x', '--client-secret-stdin'], { stdin: 's\n' });
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('refusing to send credentials over plain http:// to mosaic.example.com');
    const env = await c.tac(['users', 'show', 'alice'], { env: { TAC_PROVIDER: 'onelogin', TAC_SERVER: fake().url } });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/^error: TAC_PROVIDER: "onelogin" is not a supported provider; use one of tac, mosaic(, \w+)*\n$/);
  });
});

describe('mosaic: users, generate, verify, audit', () => {
  it('users show by username, email, phone and Mosaic user id; fields Mosaic lacks are null; unknown user exit 3', async () => {
    const c = client('users');
    ok(await c.login());
    const show = await c.tac(['users', 'show', 'alice', '--json']);
    ok(show);
    expect(JSON.parse(show.stdout)).toEqual({
      id: 'x7k2mq9alice', username: 'alice', email: 'alice@example.com', phone: '+15550101010', name: 'Alice Smith', guest: null, disabled: false,
      failedAttempts: null, consecutiveFailures: null, lockedUntil: null, createdAt: '2026-01-05T09:00:00.000Z', updatedAt: '2026-02-01T10:00:00.000Z', locked: null, currentTac: null,
    });
    for (const ref of ['alice@example.com', '+1 555 010 1010', 'x7k2mq9alice']) {
      const r = await c.tac(['users', 'show', ref, '--json']);
      ok(r);
      expect(JSON.parse(r.stdout).id).toBe('x7k2mq9alice');
    }
    const carol = await c.tac(['users', 'show', 'carol@example.com', '--json']);
    expect(JSON.parse(carol.stdout)).toMatchObject({ username: null, name: null, disabled: true });
    const none = await c.tac(['users', 'show', 'nobody']);
    expect(none.code).toBe(3);
    expect(none.stderr).toBe('error: user "nobody" not found in mosaic\n');
    const search = await c.tac(['users', 'search', 'b']);
    ok(search);
    expect(search.stdout).toBe('p3n8bob00001\tbob\tBob\tbob@example.com\t\t\tactive\n');
    const all = await c.tac(['users', 'search', '', '--json']);
    expect(JSON.parse(all.stdout)).toHaveLength(3);
  });

  it('generate needs --verified-by (unless the profile says requireAttestation false), prints the code once: piped bare, --json in the IssuedTac shape', async () => {
    const c = client('gen');
    ok(await c.login());
    const refused = await c.tac(['generate', '--user', 'alice']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: --verified-by: the profile requires stating how the caller's identity was verified: one of /);
    const piped = await c.tac(['generate', '--user', 'alice', '--verified-by', 'callback']);
    ok(piped);
    expect(piped.stdout).toMatch(/^\d{6}\n$/);
    const json = await c.tac(['generate', '--user', 'alice@example.com', '--verified-by', 'id-document', '--ttl', '10m', '--json']);
    ok(json);
    const t = JSON.parse(json.stdout);
    expect(Object.keys(t)).toEqual(['id', 'code', 'status', 'startsAt', 'expiresAt', 'oneTime', 'user']);
    expect(t).toMatchObject({ id: null, status: 'active', oneTime: null, user: { id: 'x7k2mq9alice', username: 'alice', email: 'alice@example.com', name: 'Alice Smith', guest: null } });
    expect(Date.parse(t.expiresAt) - Date.parse(t.startsAt)).toBe(600_000);
    const noTtl = JSON.parse((await c.tac(['generate', '--user', 'bob', '--verified-by', 'callback', '--json'])).stdout);
    expect(noTtl.expiresAt).toBeNull(); // Mosaic's portal setting applies; the API does not say it
    ok(await c.tac(['config', 'set', 'require-attestation', 'false']));
    ok(await c.tac(['generate', '--user', 'bob']));
    for (const [flag, what] of [['--multi-use', 'multi-use codes'], ['--starts-at', 'codes that start later']]) {
      const r = await c.tac(['generate', '--user', 'bob', flag, ...(flag === '--starts-at' ? ['+1h'] : [])]);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain(`mosaic does not offer ${what}`);
    }
  });

  it('verify: the right code is valid (exit 0) once, then invalid_code (exit 6); an unknown user is unknown_user', async () => {
    const c = client('verify');
    ok(await c.login());
    const code = (await c.tac(['generate', '--user', 'bob', '--verified-by', 'callback'])).stdout.trim();
    // As read out in groups of four: the spaces are not part of the code.
    const v = await c.tac(['verify', '--user', 'bob@example.com'], { stdin: `${code.slice(0, 4)} ${code.slice(4)}\n` });
    ok(v);
    expect(v.stdout).toBe('valid\n');
    const again = await c.tac(['verify', '--user', 'bob', '--json'], { stdin: `${code}\n` });
    expect(again.code).toBe(6);
    expect(JSON.parse(again.stdout)).toEqual({ valid: false, reason: 'invalid_code' });
    const nobody = await c.tac(['verify', '--user', 'nobody'], { stdin: '123456\n' });
    expect(nobody.code).toBe(6);
    expect(nobody.stdout).toBe('invalid\tunknown_user\n');
  });

  it('after 3 wrong codes Mosaic locks the code (auth_locked): locked_out, even for the right one; a user not active cannot get a code (exit 5)', async () => {
    const c = client('lock');
    ok(await c.login());
    const code = (await c.tac(['generate', '--user', 'alice', '--verified-by', 'callback'])).stdout.trim();
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i++) expect((await c.tac(['verify', '--user', 'alice'], { stdin: `${wrong}\n` })).stdout).toBe('invalid\tinvalid_code\n');
    const locked = await c.tac(['verify', '--user', 'alice', '--json'], { stdin: `${code}\n` });
    expect(locked.code).toBe(6);
    expect(JSON.parse(locked.stdout)).toEqual({ valid: false, reason: 'locked_out' });
    const carol = await c.tac(['generate', '--user', 'carol@example.com', '--verified-by', 'callback']);
    expect(carol.code, describeRun(carol)).toBe(5);
    expect(carol.stderr).toBe('error: user "carol@example.com" is not active in mosaic (disabled or pending) and cannot receive a temp code\n');
  });

  it('what Mosaic does not offer: one line each, exit 5', async () => {
    const c = client('unsupported');
    ok(await c.login());
    const cases: [string[], string][] = [
      [['list'], 'mosaic does not offer listing TACs (tac list); use the Mosaic Admin Portal'],
      [['delete', 'tac_x', '--yes'], 'mosaic does not offer deleting TACs (tac delete)'],
      [['policy', 'show'], 'mosaic does not offer reading the code policy (tac policy show); see One-time passcodes in the Mosaic Admin Portal'],
      [['policy', 'set', '--max-ttl', '8h'], 'mosaic does not offer changing the code policy (tac policy set)'],
      [['policy', 'reset', '--yes'], 'mosaic does not offer resetting the code policy'],
      [['users', 'add', '--username', 'dan', '--email', 'dan@example.com'], 'mosaic does not offer adding users (tac users add)'],
      [['users', 'disable', 'alice', '--yes'], 'mosaic does not offer disabling or enabling users'],
      [['users', 'unlock', 'alice'], 'mosaic does not offer unlocking users'],
      [['guests', 'create', '--email', 'g@example.com'], 'mosaic does not offer guest accounts (tac guests create)'],
      [['purge'], 'mosaic does not offer purging TACs'],
      [['agents', 'list'], 'mosaic does not offer tac agents'],
    ];
    for (const [args, message] of cases) {
      const r = await c.tac(args);
      expect(r.code, describeRun(r)).toBe(5);
      oneLine(r);
      expect(r.stderr, describeRun(r)).toContain(`error: ${message}`);
    }
  });

  it('tac keeps its own audit trail (0600 JSON Lines: actor, provider, user, verifiedBy, never a code); no code in any file or other output', async () => {
    const c = client('audit');
    ok(await c.login());
    const codes: string[] = [];
    const others: RunResult[] = [];
    codes.push((await c.tac(['generate', '--user', 'alice', '--verified-by', 'callback', '--reason', 'lost phone'])).stdout.trim());
    codes.push(JSON.parse((await c.tac(['generate', '--user', 'bob', '--verified-by', 'in-person', '--json'])).stdout).code);
    others.push(await c.tac(['verify', '--user', 'alice'], { stdin: `${codes[0]}\n` }));
    others.push(await c.tac(['verify', '--user', 'bob', '--json'], { stdin: `${codes[0]}\n` }));
    others.push(await c.tac(['users', 'show', 'alice']), await c.tac(['whoami']));
    const audit = await c.tac(['audit', '--json']);
    ok(audit);
    others.push(audit, await c.tac(['audit']));
    const events = parseJsonLines<{ action: string; actor: string; userId: string; outcome: string; reason: string | null; details: Record<string, unknown> }>(audit.stdout);
    expect(events.map((e) => [e.action, e.userId, e.outcome])).toEqual([
      ['tac.verify_failed', 'p3n8bob00001', 'failure'], ['tac.verified', 'x7k2mq9alice', 'success'],
      ['tac.generated', 'p3n8bob00001', 'success'], ['tac.generated', 'x7k2mq9alice', 'success'],
    ]);
    expect(events[3]).toMatchObject({ reason: 'lost phone', details: { provider: 'mosaic', server: fake().url, verifiedBy: 'callback' } });
    const alices = await c.tac(['audit', '--user', 'alice@example.com', '--json']);
    expect(parseJsonLines<{ action: string }>(alices.stdout).map((e) => e.action)).toEqual(['tac.verified', 'tac.generated']);
    const file = join(c.dirs.data, 'tac', 'audit-default.jsonl');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const files = filesUnder(c.root);
    expect(files).toContain(file);
    for (const code of codes) {
      expect(code).toMatch(/^\d{6}$/);
      for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toContain(code);
      for (const r of others) expect(r.stdout + r.stderr, describeRun(r)).not.toContain(code);
    }
  });
});

describe('start-up', () => {
  it('a local command does not load undici (the providers\' transport); a mosaic one does', async () => {
    const c = client('startup');
    const preload = { NODE_OPTIONS: `-r ${join(REPO_ROOT, 'test', 'fakes', 'record-modules.cjs')}` };
    const local = await c.tac(['users', 'search', 'x'], { env: { ...preload, TAC_DB: join(c.dirs.data, 'tac', 'tac.db') } });
    expect(local.code, describeRun(local)).toBe(0);
    expect(local.stderr).toMatch(/^modules:/m);
    expect(local.stderr).not.toContain('undici');
    const remote = await c.tac(['users', 'show', 'alice'], { env: { ...preload, TAC_PROVIDER: 'mosaic', TAC_SERVER: fake().url, TAC_CLIENT_ID: fake().clientId, TAC_CLIENT_SECRET: fake().clientSecret } });
    expect(remote.code, describeRun(remote)).toBe(0);
    expect(remote.stderr).toContain('"undici"');
  });
});
