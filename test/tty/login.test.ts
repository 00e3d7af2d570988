/**
 * `tac login` on a terminal against a real `tac serve`: asks for the server URL, the client id and
 * the client secret, which is masked (only "*" is ever drawn). Ctrl-C stores nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkPrerequisites, linesAfter, makeDirs, REPO_ROOT, runOk, runTac, TAC_BIN, Tmux, type TacDirs } from './helpers/tmux.js';

let server: TacDirs;
let serveProcess: ChildProcess | undefined;
let url: string;
let clientId: string;
let clientSecret: string;
const clients: TacDirs[] = [];
const tmux = new Tmux(import.meta.url);

/** A client with its own HOME/XDG dirs; TAC_KEYCHAIN=off keeps the secret in the 0600 file store. */
function newClient(): TacDirs & { clientEnv: Record<string, string> } {
  const d = makeDirs('tac-tty-client-');
  clients.push(d);
  return { ...d, clientEnv: { ...d.env, TAC_KEYCHAIN: 'off' } };
}
const credentialsFile = (d: TacDirs) => join(d.config, 'tac', 'credentials.json');

beforeAll(async () => {
  checkPrerequisites();
  server = makeDirs('tac-tty-server-');
  const created = JSON.parse((await runOk(['agents', 'create', '--name', 'x', '--role', 'admin', '--json'], server.env)).stdout) as { clientId: string; clientSecret: string };
  ({ clientId, clientSecret } = created);
  expect(clientSecret.length).toBeGreaterThan(8);

  const child = spawn(process.execPath, [TAC_BIN, 'serve', '--port', '0'], { env: server.env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  serveProcess = child;
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`tac serve did not print its URL\n${out}\n${err}`)), 15_000);
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^(https?:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tac serve exited (${code})\n${out}\n${err}`));
    });
  });
}, 30_000);

afterEach(() => tmux.kill());

afterAll(async () => {
  tmux.kill();
  const child = serveProcess;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  server?.cleanup();
  for (const c of clients) c.cleanup();
});

describe('tac login on a terminal', { timeout: 60_000 }, () => {
  it('asks for the server, the client id and a masked secret, then logs in', async () => {
    const client = newClient();
    tmux.start({ args: ['login'], env: client.clientEnv });
    await tmux.waitFor(/\? Server URL/);
    tmux.type(url);
    await tmux.waitFor((s) => s.includes(`Server URL ${url}`));
    tmux.sendKeys('Enter');

    await tmux.waitFor(/\? Client id/);
    tmux.type(clientId);
    await tmux.waitFor((s) => s.includes(`Client id ${clientId}`));
    tmux.sendKeys('Enter');

    await tmux.waitFor(/\? Client secret/);
    // Type in two halves and look at the screen after each: only the mask, never the secret.
    const half = Math.floor(clientSecret.length / 2);
    tmux.type(clientSecret.slice(0, half));
    let screen = await tmux.waitFor(new RegExp(`Client secret \\*{${half}}$`, 'm'));
    expect(screen).not.toContain(clientSecret.slice(0, half));
    tmux.type(clientSecret.slice(half));
    screen = await tmux.waitFor(new RegExp(`Client secret \\*{${clientSecret.length}}$`, 'm'));
    expect(screen).not.toContain(clientSecret.slice(half));
    tmux.sendKeys('Enter');

    const done = await tmux.waitForExit();
    expect(done.code, done.screen).toBe(0);
    expect(done.screen).toContain(`Logged in to ${url.replace(/\/$/, '')} as x (admin)`);
    expect(done.screen).toMatch(/no OS keychain is available \(TAC_KEYCHAIN=off\)/);
    for (const piece of [clientSecret, clientSecret.slice(0, 8), clientSecret.slice(-8)]) expect(done.screen).not.toContain(piece);

    expect(existsSync(credentialsFile(client))).toBe(true);
    const who = await runOk(['whoami', '--json'], client.clientEnv);
    expect(JSON.parse(who.stdout)).toMatchObject({ backend: 'remote', clientId, agent: 'x', role: 'admin', secretStorage: `file:${credentialsFile(client)}` });
  });

  it('Ctrl-C at the secret prompt exits 130 at once, storing and printing nothing', async () => {
    const client = newClient();
    tmux.start({ args: ['login'], env: client.clientEnv });
    await tmux.waitFor(/\? Server URL/);
    tmux.type(url);
    tmux.sendKeys('Enter');
    await tmux.waitFor(/\? Client id/);
    tmux.type(clientId);
    tmux.sendKeys('Enter');
    await tmux.waitFor(/\? Client secret/);
    tmux.type(clientSecret.slice(0, 6));
    await tmux.waitFor(/Client secret \*{6}$/m);
    const pressed = Date.now();
    tmux.sendKeys('C-c');

    const { code, screen } = await tmux.waitForExit();
    expect(code, screen).toBe(130);
    expect(Date.now() - pressed).toBeLessThan(5_000);
    expect(linesAfter(screen, /Client secret/).filter((l) => l.trim())).toEqual(['EXIT=130']);
    expect(screen).not.toContain(clientSecret.slice(0, 6));
    expect(existsSync(credentialsFile(client))).toBe(false);
    const who = await runTac(['whoami', '--json'], client.clientEnv);
    expect(JSON.parse(who.stdout)).toMatchObject({ backend: 'local' });
  });
});
