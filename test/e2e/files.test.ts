import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeBackends, describeRun, type TacEnv, type UserJson } from './helpers/tac.js';

const mode = (p: string) => statSync(p).mode & 0o777;

/** Where the CLI keeps its files: only meaningful for the local (embedded SQLite) backend. */
describeBackends('files', (env) => {
  /** An environment without TAC_DB, so the default location applies. */
  const noTacDb = { TAC_DB: undefined };
  const usernames = async (s: TacEnv, ...extra: string[]) =>
    (await s.tacJson<UserJson[]>(['users', 'search', ...extra], { env: noTacDb })).json.map((u) => u.username);

  it('the database is created at $XDG_DATA_HOME/tac/tac.db with mode 0600, the key at $XDG_CONFIG_HOME/tac/hmac.key (0600)', async () => {
    const s = await env.isolated('default');
    const r = await s.tac(['users', 'add', '--username', 'alice', '--email', 'alice@example.com'], { env: noTacDb });
    expect(r.code, describeRun(r)).toBe(0);
    const db = join(s.env.XDG_DATA_HOME!, 'tac', 'tac.db');
    const key = join(s.env.XDG_CONFIG_HOME!, 'tac', 'hmac.key');
    expect(existsSync(db)).toBe(true);
    expect(mode(db)).toBe(0o600);
    expect(mode(join(s.env.XDG_DATA_HOME!, 'tac'))).toBe(0o700);
    expect(existsSync(key)).toBe(true);
    expect(mode(key)).toBe(0o600);
    expect(mode(join(s.env.XDG_CONFIG_HOME!, 'tac'))).toBe(0o700);
    expect(readFileSync(key, 'utf8')).toMatch(/^[0-9a-f]{64}\n?$/);
    // Nothing else was written to HOME.
    expect(readdirSync(s.env.HOME!)).toEqual([]);
    // WAL side files, when present, are private too.
    for (const side of ['-wal', '-shm']) if (existsSync(db + side)) expect(mode(db + side)).toBe(0o600);
    // The same database is used next time.
    expect(await usernames(s)).toEqual(['alice']);
  });

  it('without XDG variables the files go under $HOME', async () => {
    const s = await env.isolated('home');
    const bare = { TAC_DB: undefined, XDG_DATA_HOME: undefined, XDG_CONFIG_HOME: undefined };
    const r = await s.tac(['users', 'add', '--username', 'homer', '--email', 'homer@example.com'], { env: bare });
    expect(r.code, describeRun(r)).toBe(0);
    const home = s.env.HOME!;
    const db = process.platform === 'darwin' ? join(home, 'Library', 'Application Support', 'tac', 'tac.db') : join(home, '.local', 'share', 'tac', 'tac.db');
    expect(existsSync(db)).toBe(true);
    expect(mode(db)).toBe(0o600);
  });

  it('TAC_DB overrides the default location, --db overrides TAC_DB', async () => {
    const s = await env.isolated('override');
    const viaEnv = s.newPath('env/by-env.db');
    const viaFlag = s.newPath('flag/by-flag.db');
    let r = await s.tac(['users', 'add', '--username', 'envuser', '--email', 'e@example.com'], { env: { TAC_DB: viaEnv } });
    expect(r.code, describeRun(r)).toBe(0);
    expect(mode(viaEnv)).toBe(0o600);
    r = await s.tac(['users', 'add', '--username', 'flaguser', '--email', 'f@example.com', '--db', viaFlag], { env: { TAC_DB: viaEnv } });
    expect(r.code, describeRun(r)).toBe(0);
    expect(mode(viaFlag)).toBe(0o600);
    expect(existsSync(join(s.env.XDG_DATA_HOME!, 'tac', 'tac.db'))).toBe(false);

    const names = async (args: string[], e: Record<string, string | undefined>) =>
      (await s.tacJson<UserJson[]>(['users', 'search', ...args], { env: e })).json.map((u) => u.username);
    expect(await names([], { TAC_DB: viaEnv })).toEqual(['envuser']);
    expect(await names(['--db', viaFlag], { TAC_DB: viaEnv })).toEqual(['flaguser']);
    expect(await names(['--db', viaFlag], noTacDb)).toEqual(['flaguser']);
    // The default database is still empty (and now created).
    expect(await usernames(s)).toEqual([]);
  });

  it('TAC_KEY_FILE chooses the key file', async () => {
    const s = await env.isolated('keyfile');
    const keyPath = s.newPath('keys/custom.key');
    const r = await s.tac(['users', 'add', '--username', 'k', '--email', 'k@example.com'], { env: { TAC_KEY_FILE: keyPath } });
    expect(r.code, describeRun(r)).toBe(0);
    expect(mode(keyPath)).toBe(0o600);
    expect(existsSync(join(s.env.XDG_CONFIG_HOME!, 'tac', 'hmac.key'))).toBe(false);
  });

  it('a database used with a different key fails clearly (exit 1) and is not changed', async () => {
    const s = await env.isolated('key-mismatch');
    await s.addUser('alice');
    const { code } = await s.issue('alice');
    const key = s.paths.keyFile;
    const original = readFileSync(key);

    // Another key via TAC_KEY_FILE.
    const other = s.newPath('other.key');
    let r = await s.tac(['list'], { env: { TAC_KEY_FILE: other } });
    expect(r.code, describeRun(r)).toBe(1);
    expect(r.stderr).toMatch(/^error: .*different hashing key/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain('    at ');
    expect(r.stdout).toBe('');

    // The key file deleted: a new key would be created, and the database refuses it.
    rmSync(key);
    r = await s.tac(['generate', '--verified-by', 'callback', '--user', 'alice']);
    expect(r.code, describeRun(r)).toBe(1);
    expect(r.stderr).toMatch(/^error: .*different hashing key.*hmac\.key/);
    expect(r.stdout).toBe('');
    r = await s.tac(['verify', '--user', 'alice'], { stdin: `${code}\n` });
    expect(r.code).toBe(1);

    // Restoring the original key makes everything work again; the code issued before still verifies.
    writeFileSync(key, original, { mode: 0o600 });
    r = await s.verify('alice', code);
    expect(r.code, describeRun(r)).toBe(0);
    // The refused generate left nothing behind.
    expect((await s.listJson()).length).toBe(1);
  });

  it('a damaged key file or a database that is not SQLite: one-line error, exit 1', async () => {
    const s = await env.isolated('damaged');
    const badKey = s.file('bad.key', 'not a key\n');
    let r = await s.tac(['list'], { env: { TAC_KEY_FILE: badKey } });
    expect(r.code, describeRun(r)).toBe(1);
    expect(r.stderr).toMatch(/^error: .*bad\.key.*damaged/);
    const notDb = s.file('not.db', 'this is not a database, just text\n'.repeat(200));
    r = await s.tac(['list', '--db', notDb]);
    expect(r.code, describeRun(r)).toBe(1);
    expect(r.stderr).toMatch(/^error: .*not\.db/);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain('    at ');
  });
}, { only: ['local'] });
