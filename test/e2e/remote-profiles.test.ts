import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeBackends, describeRun, runTac, type ClientDirs, type Env, type Role, type UserJson } from './helpers/tac.js';

/**
 * Profiles: local (a database path) or remote (server + client id), chosen with --profile,
 * TAC_PROFILE or the current one; --db / --server override them. Stored in config.json (conf).
 */

interface ConfigListJson {
  currentProfile: string;
  profiles: { name: string; current: boolean; type: string; provider: string | null; location: string; clientId: string | null }[];
}

describeBackends('remote: profiles', (env) => {
  let c: ClientDirs;
  let labDb: string;
  const run = (args: string[], extra: Env = {}, stdin?: string) => runTac(args, { ...c.env, TAC_KEYCHAIN: 'off', ...extra }, { stdin, timeoutMs: 30_000 });
  const json = async <T>(args: string[], extra: Env = {}): Promise<T> => {
    const r = await run([...args, '--json'], extra);
    expect(r.code, describeRun(r)).toBe(0);
    return JSON.parse(r.stdout) as T;
  };
  const login = (profile: string, role: Role) =>
    run(['login', '--profile', profile, '--server', env.remote.url, '--client-id', env.remote.agents[role].clientId, '--client-secret-stdin'], {}, `${env.remote.agents[role].clientSecret}\n`);
  const role = async (args: string[] = [], extra: Env = {}) => (await json<{ role: string }>(['whoami', ...args], extra)).role;
  const usernames = async (args: string[], extra: Env = {}) => (await json<UserJson[]>(['users', 'search', ...args], extra)).map((u) => u.username).sort();

  it('setup: a user on the server; no profiles yet', async () => {
    c = env.newClient('profiles');
    labDb = join(c.root, 'lab', 'lab.db');
    await env.addUser('on-server');
    expect(await json<ConfigListJson>(['config', 'list'])).toEqual({ currentProfile: 'default', profiles: [] });
    // Without a profile, whoami describes the default local database.
    expect(await json<{ backend: string }>(['whoami'])).toMatchObject({ backend: 'local' });
  });

  it('login --profile NAME creates a remote profile and makes it current', async () => {
    let r = await login('work', 'helpdesk');
    expect(r.code, describeRun(r)).toBe(0);
    r = await login('ops', 'admin');
    expect(r.code, describeRun(r)).toBe(0);
    const list = await json<ConfigListJson>(['config', 'list']);
    expect(list.currentProfile).toBe('ops');
    expect(list.profiles).toEqual([
      { name: 'work', current: false, type: 'remote', provider: 'tac', location: env.remote.url, clientId: env.remote.agents.helpdesk.clientId },
      { name: 'ops', current: true, type: 'remote', provider: 'tac', location: env.remote.url, clientId: env.remote.agents.admin.clientId },
    ]);
    const cfg = join(c.configDir, 'config.json');
    expect(statSync(cfg).mode & 0o777).toBe(0o600);
    // Piped, config list is tab-separated lines.
    const plain = await run(['config', 'list']);
    expect(plain.stdout).toContain(`*\tops\tremote\t${env.remote.url}\t${env.remote.agents.admin.clientId}`);
  });

  it('--profile and TAC_PROFILE pick a profile; --profile wins; the current one is the default', async () => {
    expect(await role()).toBe('admin');
    expect(await role(['--profile', 'work'])).toBe('helpdesk');
    expect(await role([], { TAC_PROFILE: 'work' })).toBe('helpdesk');
    expect(await role(['--profile', 'ops'], { TAC_PROFILE: 'work' })).toBe('admin');
    // The helpdesk profile cannot add users; the admin one can.
    const denied = await run(['users', 'add', '--username', 'x1', '--email', 'x1@example.com', '--profile', 'work']);
    expect(denied.code, describeRun(denied)).toBe(4);
    expect(denied.stderr).toContain('users:write');
    expect(await usernames(['--profile', 'work'])).toEqual(['on-server']);
  });

  it('an unknown profile: exit 3 naming it; a bad profile name: exit 2', async () => {
    for (const extra of [{ args: ['--profile', 'nope'], env: {} }, { args: [], env: { TAC_PROFILE: 'nope' } }]) {
      const r = await run(['users', 'search', ...extra.args], extra.env);
      expect(r.code, describeRun(r)).toBe(3);
      expect(r.stderr).toMatch(/^error: profile "nope" not found/);
    }
    const bad = await run(['config', 'set', 'db', labDb, '--profile', 'bad name']);
    expect(bad.code, describeRun(bad)).toBe(2);
    expect(bad.stderr).toContain('--profile');
  });

  it('config get prints one setting of the current or --profile profile', async () => {
    let r = await run(['config', 'get', 'server']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toBe(`${env.remote.url}\n`);
    r = await run(['config', 'get', 'client-id', '--profile', 'work']);
    expect(r.stdout).toBe(`${env.remote.agents.helpdesk.clientId}\n`);
    r = await run(['config', 'get', 'current-profile'], { TAC_PROFILE: 'work' });
    expect(r.stdout).toBe('work\n');
    // A setting the profile does not have: exit 3, nothing printed; JSON says null.
    r = await run(['config', 'get', 'db']);
    expect(r.code, describeRun(r)).toBe(3);
    expect(r.stdout).toBe('');
    expect(await json(['config', 'get', 'db'])).toEqual({ profile: 'ops', key: 'db', value: null });
    r = await run(['config', 'get', 'colour']);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toMatch(/^error: key: "colour" is not a setting/);
  });

  it('config set db makes a local profile; --profile lab runs on that database', async () => {
    let r = await run(['config', 'set', 'db', labDb, '--profile', 'lab']);
    expect(r.code, describeRun(r)).toBe(0);
    r = await run(['users', 'add', '--username', 'in-lab', '--email', 'in-lab@example.com', '--profile', 'lab']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(existsSync(labDb)).toBe(true);
    expect(await usernames(['--profile', 'lab'])).toEqual(['in-lab']);
    expect(await usernames([])).toEqual(['on-server']);
    expect(await json<{ backend: string; database: string }>(['whoami', '--profile', 'lab'])).toMatchObject({ backend: 'local', database: labDb, profile: 'lab' });
    const list = await json<ConfigListJson>(['config', 'list']);
    expect(list.profiles.find((p) => p.name === 'lab')).toEqual({ name: 'lab', current: false, type: 'local', provider: null, location: labDb, clientId: null });
    // The current profile did not change.
    expect(list.currentProfile).toBe('ops');
  });

  it('config set current-profile switches; an unknown one is refused (exit 2)', async () => {
    let r = await run(['config', 'set', 'current-profile', 'lab']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(await usernames([])).toEqual(['in-lab']);
    r = await run(['config', 'set', 'current-profile', 'nope']);
    expect(r.code, describeRun(r)).toBe(2);
    expect((await json<ConfigListJson>(['config', 'list'])).currentProfile).toBe('lab');
  });

  it('--server overrides a local profile; --db overrides a remote one; both together exit 2', async () => {
    // Current profile: lab (local). --server sends this command to the server, with CI credentials.
    const ci = { TAC_CLIENT_ID: env.remote.agents.admin.clientId, TAC_CLIENT_SECRET: env.remote.agents.admin.clientSecret };
    expect(await usernames(['--server', env.remote.url], ci)).toEqual(['on-server']);
    // Without credentials for it: exit 4 saying how to log in.
    const r = await run(['users', 'search', '--server', env.remote.url]);
    expect(r.code, describeRun(r)).toBe(4);
    expect(r.stderr).toMatch(/run tac login --server/);
    // --server with a profile for that server uses its stored login.
    expect(await role(['--server', env.remote.url, '--profile', 'work'])).toBe('helpdesk');

    // --db overrides the remote profiles.
    expect(await usernames(['--db', labDb, '--profile', 'ops'])).toEqual(['in-lab']);
    expect(await usernames(['--db', labDb], { TAC_PROFILE: 'work' })).toEqual(['in-lab']);
    // TAC_SERVER and TAC_DB override the profile too.
    expect(await usernames([], { TAC_SERVER: env.remote.url, ...ci })).toEqual(['on-server']);
    expect(await usernames(['--profile', 'ops'], { TAC_DB: labDb })).toEqual(['in-lab']);

    const both = await run(['users', 'search', '--db', labDb, '--server', env.remote.url]);
    expect(both.code, describeRun(both)).toBe(2);
    expect(both.stderr).toMatch(/^error: --db and --server cannot be used together/);
  });

  it('config set server checks the URL: plain http to another host needs --insecure', async () => {
    let r = await run(['config', 'set', 'server', 'http://10.9.9.9:8787', '--profile', 'far']);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toContain('--insecure');
    r = await run(['config', 'set', 'server', 'not a url', '--profile', 'far']);
    expect(r.code, describeRun(r)).toBe(2);
    expect((await json<ConfigListJson>(['config', 'list'])).profiles.map((p) => p.name)).not.toContain('far');
    r = await run(['config', 'set', 'server', 'http://10.9.9.9:8787', '--profile', 'far', '--insecure']);
    expect(r.code, describeRun(r)).toBe(0);
    r = await run(['config', 'get', 'insecure', '--profile', 'far']);
    expect(r.stdout).toBe('true\n');
    r = await run(['config', 'set', 'client-id', 'agt_aaaaaaaaaaaaaaaa', '--profile', 'far']);
    expect(r.code, describeRun(r)).toBe(0);
    // client-id applies to remote profiles only.
    r = await run(['config', 'set', 'client-id', 'agt_aaaaaaaaaaaaaaaa', '--profile', 'lab']);
    expect(r.code, describeRun(r)).toBe(2);
    // A profile with a client id but no stored secret: exit 4.
    r = await run(['users', 'search', '--profile', 'far']);
    expect(r.code, describeRun(r)).toBe(4);
    expect(r.stderr).toMatch(/not logged in to http:\/\/10\.9\.9\.9:8787/);
  });

  it('logout --profile NAME forgets that login only; the profile stays', async () => {
    let r = await run(['logout', '--profile', 'work']);
    expect(r.code, describeRun(r)).toBe(0);
    r = await run(['users', 'search', '--profile', 'work']);
    expect(r.code, describeRun(r)).toBe(4);
    expect(await role(['--profile', 'ops'])).toBe('admin');
    expect((await json<ConfigListJson>(['config', 'list'])).profiles.map((p) => p.name)).toContain('work');
  });
}, {
  // Not on postgres too: profiles are the CLI's client-side configuration; the server's engine changes nothing there.
  only: ['remote'],
});
