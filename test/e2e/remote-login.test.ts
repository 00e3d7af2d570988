import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeBackends, describeRun, runTac, type ClientDirs, type Env, type UserJson } from './helpers/tac.js';

/**
 * `tac login` / `whoami` / `logout` against a real `tac serve`, with the secret in the 0600 file
 * (no Secret Service here: the real keychain is tested in keychain.test.ts), and CI credentials
 * from the environment.
 */

const mode = (p: string) => statSync(p).mode & 0o777;

/** Every file under dir, recursively, with its contents. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** A loopback port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

interface WhoamiJson {
  backend: string;
  provider: string;
  profile: string | null;
  server: string;
  clientId: string;
  agent: string;
  role: string;
  scopes: string[];
  tokenExpiresAt: string;
  secretStorage: string;
}

describeBackends('remote: login, whoami, logout', (env) => {
  /** Without DBUS_SESSION_BUS_ADDRESS (the hermetic env has none) keytar finds no Secret Service. */
  const noKeychain: Env = { DBUS_SESSION_BUS_ADDRESS: undefined, TAC_KEYCHAIN: undefined };

  const tac = (c: ClientDirs, args: string[], opts: { stdin?: string; env?: Env } = {}) =>
    runTac(args, { ...c.env, ...noKeychain, ...opts.env }, { stdin: opts.stdin, timeoutMs: 30_000 });

  const login = (c: ClientDirs, role: 'admin' | 'helpdesk' | 'provisioner' | 'app', extra: string[] = [], opts: { env?: Env; secret?: string } = {}) => {
    const a = env.remote.agents[role];
    return tac(c, ['login', '--server', env.remote.url, '--client-id', a.clientId, '--client-secret-stdin', ...extra], { stdin: `${opts.secret ?? a.clientSecret}\n`, env: opts.env });
  };

  const tokenRequests = async () => {
    await env.remote.server.flushLog();
    return env.remote.server.log().filter((l) => l.msg === 'request' && l.route === '/oauth/token').length;
  };

  it('login with --client-secret-stdin: proves the secret, stores it in a 0600 file with a warning naming it', async () => {
    const c = env.newClient('login');
    const creds = join(c.configDir, 'credentials.json');
    const r = await login(c, 'helpdesk', ['--json']);
    expect(r.code, describeRun(r)).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      profile: 'default', server: env.remote.url, clientId: env.remote.agents.helpdesk.clientId,
      agent: env.remote.agents.helpdesk.name, role: 'helpdesk', secretStorage: `file:${creds}`,
    });
    expect(out.scopes).toEqual(['users:read', 'users:unlock', 'tacs:read', 'tacs:write']);
    // One warning line on stderr saying the keychain is not used and naming the file.
    expect(r.stderr).toMatch(/keychain/i);
    expect(r.stderr).toContain(creds);
    expect(r.stderr).toContain('0600');
    expect(r.stderr).not.toContain(env.remote.agents.helpdesk.clientSecret);
    expect(r.stdout).not.toContain(env.remote.agents.helpdesk.clientSecret);
    expect(mode(creds)).toBe(0o600);
    expect(readFileSync(creds, 'utf8')).toContain(env.remote.agents.helpdesk.clientSecret);
    // The profile holds the server and client id, never the secret.
    const config = readFileSync(join(c.configDir, 'config.json'), 'utf8');
    expect(JSON.parse(config)).toMatchObject({ currentProfile: 'default', profiles: { default: { type: 'remote', server: env.remote.url, clientId: env.remote.agents.helpdesk.clientId } } });
    expect(config).not.toContain(env.remote.agents.helpdesk.clientSecret);
  });

  it('plain-text login says who and where; TAC_KEYCHAIN=off also uses the file', async () => {
    const c = env.newClient('login-plain');
    const r = await login(c, 'app', [], { env: { TAC_KEYCHAIN: 'off' } });
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`Logged in to ${env.remote.url} as ${env.remote.agents.app.name} (app)`);
    expect(r.stderr).toContain('TAC_KEYCHAIN=off');
    expect(r.stderr).toContain(join(c.configDir, 'credentials.json'));
    expect(mode(join(c.configDir, 'credentials.json'))).toBe(0o600);
  });

  it('the file mode is re-applied on every write: chmod 644, log in again, back to 0600', async () => {
    const c = env.newClient('mode');
    const creds = join(c.configDir, 'credentials.json');
    let r = await login(c, 'helpdesk');
    expect(r.code, describeRun(r)).toBe(0);
    expect(mode(creds)).toBe(0o600);
    r = await login(c, 'helpdesk');
    expect(r.code, describeRun(r)).toBe(0);
    expect(mode(creds)).toBe(0o600);
    chmodSync(creds, 0o644);
    r = await login(c, 'helpdesk');
    expect(r.code, describeRun(r)).toBe(0);
    expect(mode(creds)).toBe(0o600);
  });

  it('whoami shows server, agent, role, scopes, token expiry and file: storage', async () => {
    const c = env.newClient('whoami');
    expect((await login(c, 'provisioner')).code).toBe(0);
    const creds = join(c.configDir, 'credentials.json');
    const j = await tac(c, ['whoami', '--json']);
    expect(j.code, describeRun(j)).toBe(0);
    const who = JSON.parse(j.stdout) as WhoamiJson;
    expect(who).toMatchObject({
      backend: 'remote', provider: 'tac', profile: 'default', server: env.remote.url, clientId: env.remote.agents.provisioner.clientId,
      agent: env.remote.agents.provisioner.name, role: 'provisioner', scopes: ['users:read', 'guests:write'], secretStorage: `file:${creds}`,
    });
    expect(Date.parse(who.tokenExpiresAt)).toBeGreaterThan(Date.now());
    const t = await tac(c, ['whoami']);
    expect(t.code, describeRun(t)).toBe(0);
    for (const s of [env.remote.url, env.remote.agents.provisioner.name, env.remote.agents.provisioner.clientId, 'provisioner', 'users:read guests:write', who.tokenExpiresAt, `file:${creds}`]) {
      expect(t.stdout).toContain(s);
    }
    expect(t.stdout + t.stderr).not.toContain(env.remote.agents.provisioner.clientSecret);
  });

  it('the token is cached beside the secret: login and several commands make one token request', async () => {
    const c = env.newClient('token-reuse');
    const before = await tokenRequests();
    expect((await login(c, 'helpdesk')).code).toBe(0);
    for (const args of [['whoami'], ['users', 'search'], ['list'], ['users', 'search', '--json']]) {
      const r = await tac(c, args);
      expect(r.code, describeRun(r)).toBe(0);
    }
    expect((await tokenRequests()) - before).toBe(1);
    // The cached token sits in the same 0600 file as the secret.
    const stored = readFileSync(join(c.configDir, 'credentials.json'), 'utf8');
    expect(stored).toMatch(/tacat_/);
  });

  it('logout removes the secret and the cached token; then commands exit 4 saying to run tac login', async () => {
    const c = env.newClient('logout');
    expect((await login(c, 'helpdesk')).code).toBe(0);
    expect((await tac(c, ['users', 'search'])).code).toBe(0);
    const creds = join(c.configDir, 'credentials.json');
    const token = /tacat_[A-Za-z0-9_-]+/.exec(readFileSync(creds, 'utf8'))?.[0];
    expect(token).toBeDefined();

    const r = await tac(c, ['logout']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stderr).toContain('Logged out');
    const after = existsSync(creds) ? readFileSync(creds, 'utf8') : '';
    expect(after).not.toContain(env.remote.agents.helpdesk.clientSecret);
    expect(after).not.toContain(token!);
    expect(after).not.toMatch(/secret:|token:/);
    if (existsSync(creds)) expect(mode(creds)).toBe(0o600);

    for (const args of [['users', 'search'], ['whoami']]) {
      const x = await tac(c, args);
      expect(x.code, describeRun(x)).toBe(4);
      expect(x.stdout).toBe('');
      expect(x.stderr).toMatch(/^error: .*run tac login/);
      expect(x.stderr).toContain(env.remote.url);
      expect(x.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    // Logging out again changes nothing and still succeeds.
    const again = await tac(c, ['logout', '--json']);
    expect(again.code, describeRun(again)).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ loggedOut: false });
  });

  it('a wrong secret: exit 4 naming the fix, and nothing is stored', async () => {
    const c = env.newClient('wrong');
    const r = await login(c, 'helpdesk', [], { secret: 'tacsec_not-the-right-one' });
    expect(r.code, describeRun(r)).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: .*rejected client agt_\w+.*tac login/);
    expect(r.stderr).not.toContain('tacsec_not-the-right-one');
    expect(snapshot(c.root)).toEqual({});
  });

  it('an unknown client id: exit 4, nothing stored', async () => {
    const c = env.newClient('unknown-id');
    const r = await tac(c, ['login', '--server', env.remote.url, '--client-id', 'agt_aaaaaaaaaaaaaaaa', '--client-secret-stdin'], { stdin: `${env.remote.agents.admin.clientSecret}\n` });
    expect(r.code, describeRun(r)).toBe(4);
    expect(r.stderr).toMatch(/^error: /);
    expect(snapshot(c.root)).toEqual({});
  });

  it('an unreachable server: exit 7 naming the URL, nothing stored', async () => {
    const c = env.newClient('unreachable');
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await tac(c, ['login', '--server', url, '--client-id', env.remote.agents.admin.clientId, '--client-secret-stdin'], { stdin: `${env.remote.agents.admin.clientSecret}\n` });
    expect(r.code, describeRun(r)).toBe(7);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: cannot reach the tac server at /);
    expect(r.stderr).toContain(url);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(snapshot(c.root)).toEqual({});
    // Any command against it: the same.
    const x = await tac(c, ['users', 'search'], { env: { TAC_SERVER: url, TAC_CLIENT_ID: 'agt_aaaaaaaaaaaaaaaa', TAC_CLIENT_SECRET: 'x' } });
    expect(x.code, describeRun(x)).toBe(7);
    expect(x.stderr).toContain(url);
  });

  it('a server that is not a tac server: exit 1, one line naming the URL; nothing stored', async () => {
    const other = createHttpServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(other.address() as { port: number }).port}`;
    try {
      const c = env.newClient('not-tac');
      const r = await tac(c, ['login', '--server', url, '--client-id', env.remote.agents.admin.clientId, '--client-secret-stdin'], { stdin: 'tacsec_x\n' });
      expect(r.code, describeRun(r)).toBe(1);
      expect(r.stderr).toMatch(/^error: unexpected HTTP 404 from http:\/\/127\.0\.0\.1:\d+ \(is this a tac server\?\)\n$/);
      expect(r.stderr).toContain(url);
      expect(snapshot(c.root)).toEqual({});
      const x = await tac(c, ['users', 'search'], { env: { TAC_SERVER: url, TAC_CLIENT_ID: 'agt_aaaaaaaaaaaaaaaa', TAC_CLIENT_SECRET: 'x' } });
      expect(x.code, describeRun(x)).toBe(1);
      expect(x.stderr).toContain(url);
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  it('plain http:// to a non-loopback host is refused (exit 2) unless --insecure', async () => {
    const c = env.newClient('insecure');
    const args = ['login', '--server', 'http://10.1.2.3:8787', '--client-id', env.remote.agents.admin.clientId, '--client-secret-stdin'];
    const r = await tac(c, args, { stdin: 'tacsec_whatever\n' });
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/^error: .*plain http:\/\/ to 10\.1\.2\.3.*--insecure/);
    expect(snapshot(c.root)).toEqual({});
    // The same for any command pointed at it.
    const x = await tac(c, ['users', 'search'], { env: { TAC_SERVER: 'http://10.1.2.3:8787', TAC_CLIENT_ID: 'agt_aaaaaaaaaaaaaaaa', TAC_CLIENT_SECRET: 'x' } });
    expect(x.code, describeRun(x)).toBe(2);
    // With --insecure such a URL is accepted and tried. To stay off the network the test uses
    // 0.0.0.0 (not loopback by name, but this machine) on a port where nothing listens: exit 7.
    const url = `http://0.0.0.0:${await freePort()}`;
    const other = ['login', '--server', url, '--client-id', env.remote.agents.admin.clientId, '--client-secret-stdin'];
    const refused = await tac(c, other, { stdin: 'tacsec_whatever\n' });
    expect(refused.code, describeRun(refused)).toBe(2);
    expect(refused.stderr).toContain('--insecure');
    const i = await tac(c, [...other, '--insecure'], { stdin: 'tacsec_whatever\n' });
    expect(i.code, describeRun(i)).toBe(7);
    expect(i.stderr).toMatch(/^error: cannot reach the tac server at /);
    expect(i.stderr).toContain(url);
    expect(snapshot(c.root)).toEqual({});
  });

  it('the secret never comes from a flag value; without a terminal --client-secret-stdin is required', async () => {
    const c = env.newClient('flag');
    const a = env.remote.agents.admin;
    let r = await tac(c, ['login', '--server', env.remote.url, '--client-id', a.clientId, '--client-secret', a.clientSecret]);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown option '--client-secret'/);
    r = await tac(c, ['login', '--server', env.remote.url, '--client-id', a.clientId]);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toContain('--client-secret-stdin');
    r = await tac(c, ['login', '--server', env.remote.url, '--client-id', a.clientId, '--client-secret-stdin'], { stdin: '\n' });
    expect(r.code, describeRun(r)).toBe(2);
    expect(snapshot(c.root)).toEqual({});
  });

  /** With the helpdesk agent's CI variables, whoami names it and it may search users. */
  const actsAsHelpdesk = async (c: ClientDirs, ci: Env) => {
    const who = await tac(c, ['whoami', '--json'], { env: ci });
    expect(who.code, describeRun(who)).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({ agent: env.remote.agents.helpdesk.name, role: 'helpdesk', secretStorage: 'environment (TAC_CLIENT_SECRET)' });
    const r = await tac(c, ['users', 'search', '--json'], { env: ci });
    expect(r.code, describeRun(r)).toBe(0);
  };

  it('CI: TAC_SERVER/TAC_CLIENT_ID/TAC_CLIENT_SECRET need no login and write nothing', async () => {
    const c = env.newClient('ci');
    const ci = env.remote.envFor('helpdesk');
    await actsAsHelpdesk(c, ci);
    expect(snapshot(c.root)).toEqual({});
  });

  it('environment credentials take precedence over a stored profile, and change nothing in the config dir', async () => {
    const c = env.newClient('precedence');
    expect((await login(c, 'app')).code).toBe(0);
    const before = snapshot(c.configDir);
    // The stored profile is an app agent: it may not search users.
    const denied = await tac(c, ['users', 'search']);
    expect(denied.code, describeRun(denied)).toBe(4);
    // The same client with CI variables acts as the helpdesk agent.
    const ci = env.remote.envFor('helpdesk');
    await actsAsHelpdesk(c, ci);
    // TAC_CLIENT_ID/TAC_CLIENT_SECRET alone (no TAC_SERVER) apply to the profile's server too.
    const noServer = { TAC_CLIENT_ID: ci.TAC_CLIENT_ID, TAC_CLIENT_SECRET: ci.TAC_CLIENT_SECRET };
    const w2 = await tac(c, ['whoami', '--json'], { env: noServer });
    expect(w2.code, describeRun(w2)).toBe(0);
    expect(JSON.parse(w2.stdout)).toMatchObject({ role: 'helpdesk' });
    expect(snapshot(c.configDir)).toEqual(before);
  });

  it('a stored login works for every command of the suite shape: add via admin, read via helpdesk', async () => {
    const c = env.newClient('roundtrip');
    await env.addUser('logan');
    expect((await login(c, 'helpdesk')).code).toBe(0);
    const r = await tac(c, ['users', 'search', 'logan', '--json']);
    expect(r.code, describeRun(r)).toBe(0);
    expect((JSON.parse(r.stdout) as UserJson[]).map((u) => u.username)).toEqual(['logan']);
    const g = await tac(c, ['generate', '--verified-by', 'callback', '--user', 'logan', '--json']);
    expect(g.code, describeRun(g)).toBe(0);
    const events = await env.auditJson('--user', 'logan', '--action', 'tac.generated');
    expect(events[0]!.actor).toBe(`agent:${env.remote.agents.helpdesk.name}`);
  });

  it('tac serve is the default provider: the profile names none, TAC_PROVIDER=tac changes nothing, --token-url is refused', async () => {
    const c = env.newClient('provider');
    expect((await login(c, 'helpdesk', ['--provider', 'tac'])).code).toBe(0);
    const cfg = JSON.parse(readFileSync(join(c.configDir, 'config.json'), 'utf8')) as { profiles: Record<string, Record<string, unknown>> };
    expect(cfg.profiles.default).not.toHaveProperty('provider');
    const r = await tac(c, ['users', 'search', '', '--json'], { env: { TAC_PROVIDER: 'tac' } });
    expect(r.code, describeRun(r)).toBe(0);
    const bad = await login(env.newClient('token-url'), 'helpdesk', ['--token-url', `${env.remote.url}/oauth/token`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: --token-url applies to an identity provider (e.g. --provider mosaic); tac serve has its own\n');
  });
}, {
  // Not on postgres too: login, the stored secret and token cache are the CLI's client side; the server's engine changes nothing there.
  only: ['remote'],
});

