import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeBackends, REPO_ROOT, TAC_BIN } from './helpers/tac.js';

/**
 * The real OS keychain: keytar talking to gnome-keyring over a private D-Bus session bus
 * (`dbus-run-session`), with a keyring unlocked by a throw-away password. `.ci/run` installs
 * libsecret-1-dev (so keytar builds at `npm ci`), gnome-keyring and dbus. Where any piece is
 * missing the test is skipped with the reason in its name. (The 0600 file fallback, without a
 * Secret Service, is tested in remote-login.test.ts.)
 */

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const KEYTAR = join(REPO_ROOT, 'node_modules', 'keytar');
const missing = [
  onPath('dbus-run-session') ? undefined : 'dbus-run-session (apt-get install dbus)',
  onPath('gnome-keyring-daemon') ? undefined : 'gnome-keyring-daemon (apt-get install gnome-keyring)',
  existsSync(join(KEYTAR, 'build', 'Release', 'keytar.node')) ? undefined : 'keytar is not built (install libsecret-1-dev, then npm ci)',
].filter(Boolean);
const skipReason = missing.length ? ` (skipped: missing ${missing.join(', ')})` : '';

/**
 * Runs in the private session: unlock a fresh login keyring (it is created with this password),
 * start its Secret Service, then run each step, saving stdout, stderr and the exit code.
 */
const SCRIPT = String.raw`
set -u
eval "$(printf '%s' e2e-keyring-password | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
eval "$(gnome-keyring-daemon --start --components=secrets 2>/dev/null)"
export GNOME_KEYRING_CONTROL 2>/dev/null || true

step() { name=$1; shift; "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"; echo $? >"$OUT/$name.code"; }
tac() { "$NODE" "$TAC_BIN" "$@"; }
# Looks the stored secret up with keytar itself: proves it really is in the keychain.
lookup() { "$NODE" -e 'require(process.argv[1]).getPassword("tac", process.argv[2]).then((v) => console.log(v === process.argv[3] ? "present" : v == null ? "absent" : "other"), (e) => { console.log("error " + e.message); })' "$KEYTAR" "secret:$CLIENT_ID@$SERVER" "$SECRET"; }

printf '%s\n' "$SECRET" | step login tac login --server "$SERVER" --client-id "$CLIENT_ID" --client-secret-stdin --json
step lookup-after-login lookup
step whoami tac whoami --json
step search tac users search --json
step whoami-plain tac whoami
step logout tac logout --json
step lookup-after-logout lookup
step search-after-logout tac users search
`;

interface Step {
  out: string;
  err: string;
  code: number;
}

describeBackends('keychain', (env) => {
  it.skipIf(missing.length > 0)(`login stores the secret in the OS keychain (gnome-keyring via keytar), whoami says so, logout removes it${skipReason}`, async () => {
    const c = env.newClient('keychain');
    const out = join(c.root, 'steps');
    const runtime = join(c.root, 'runtime');
    mkdirSync(out, { recursive: true });
    mkdirSync(runtime, { recursive: true });
    chmodSync(runtime, 0o700);
    const script = join(c.root, 'keychain.sh');
    writeFileSync(script, SCRIPT);
    const admin = env.remote.agents.helpdesk;

    const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn('dbus-run-session', ['--', 'bash', script], {
        env: {
          ...c.env, XDG_RUNTIME_DIR: runtime, OUT: out, NODE: process.execPath, TAC_BIN, KEYTAR,
          SERVER: env.remote.url, CLIENT_ID: admin.clientId, SECRET: admin.clientSecret,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
    const step = (name: string): Step => {
      const p = (ext: string) => join(out, `${name}.${ext}`);
      if (!existsSync(p('code'))) throw new Error(`step ${name} did not run (dbus-run-session exit ${result.code})\n${result.output}`);
      return { out: readFileSync(p('out'), 'utf8'), err: readFileSync(p('err'), 'utf8'), code: Number(readFileSync(p('code'), 'utf8').trim()) };
    };
    const show = (name: string) => {
      const s = step(name);
      return `${name} -> exit ${s.code}\n--- stdout ---\n${s.out}--- stderr ---\n${s.err}--- session ---\n${result.output}`;
    };

    const login = step('login');
    expect(login.code, show('login')).toBe(0);
    expect(JSON.parse(login.out)).toMatchObject({ server: env.remote.url, clientId: admin.clientId, role: 'helpdesk', secretStorage: 'keychain' });
    // No fallback warning: the keychain worked.
    expect(login.err, show('login')).not.toMatch(/keychain is available|credentials\.json/);
    expect(step('lookup-after-login').out.trim(), show('lookup-after-login')).toBe('present');

    const whoami = step('whoami');
    expect(whoami.code, show('whoami')).toBe(0);
    expect(JSON.parse(whoami.out)).toMatchObject({ backend: 'remote', agent: admin.name, role: 'helpdesk', secretStorage: 'keychain' });
    const search = step('search');
    expect(search.code, show('search')).toBe(0);
    expect(Array.isArray(JSON.parse(search.out))).toBe(true);
    expect(step('whoami-plain').out).toMatch(/secret kept in\tkeychain/);

    const logout = step('logout');
    expect(logout.code, show('logout')).toBe(0);
    expect(JSON.parse(logout.out)).toMatchObject({ loggedOut: true, server: env.remote.url, clientId: admin.clientId });
    expect(step('lookup-after-logout').out.trim(), show('lookup-after-logout')).toBe('absent');
    const after = step('search-after-logout');
    expect(after.code, show('search-after-logout')).toBe(4);
    expect(after.err).toMatch(/^error: .*run tac login/);

    // Nothing secret was written to the config dir: no credentials.json, no secret, no token.
    expect(existsSync(join(c.configDir, 'credentials.json'))).toBe(false);
    const files: string[] = [];
    const walk = (d: string) => {
      if (!existsSync(d)) return;
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else files.push(join(d, e.name));
      }
    };
    walk(c.configDir);
    walk(c.home);
    expect(files.map((f) => f.slice(c.root.length))).toContain('/xdg-config/tac/config.json');
    for (const f of files) {
      const text = readFileSync(f, 'latin1');
      expect(text, f).not.toContain(admin.clientSecret);
      expect(text, f).not.toMatch(/tacat_/);
    }
  }, 120_000);
}, {
  // Not on postgres too: the OS keychain is the CLI's client side; the server's engine changes nothing there.
  only: ['remote'],
});
