/**
 * `tac verify` on a terminal: the code is typed at a masked prompt, so it never appears on the
 * screen (only "*"), and is then checked like a piped one.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkPrerequisites, linesAfter, makeDirs, runOk, Tmux, type TacDirs } from './helpers/tmux.js';

let dirs: TacDirs;
const tmux = new Tmux(import.meta.url);

beforeAll(async () => {
  checkPrerequisites();
  dirs = makeDirs();
  await runOk(['users', 'add', '--username', 'alice', '--email', 'alice@example.com'], dirs.env);
}, 30_000);
afterEach(() => tmux.kill());
afterAll(() => {
  tmux.kill();
  dirs?.cleanup();
});

const issue = async (): Promise<string> => (await runOk(['generate', '--user', 'alice', '--verified-by', 'callback', '--multi-use'], dirs.env)).stdout.trim();

describe('tac verify on a terminal', { timeout: 60_000 }, () => {
  it('masks the code as it is typed, then checks it (exit 0)', async () => {
    await runOk(['policy', 'set', '--multi-use-allowed'], dirs.env);
    const code = await issue();
    expect(code).toMatch(/^[2-9A-Z]{8}$/);
    tmux.start({ args: ['verify', '--user', 'alice'], env: dirs.env });
    await tmux.waitFor(/\? Code/);

    // Type in two halves and look at the screen after each: only the mask, never the code.
    tmux.type(code.slice(0, 4));
    let screen = await tmux.waitFor(/Code \*{4}$/m);
    expect(screen).not.toContain(code.slice(0, 4));
    tmux.type(code.slice(4));
    screen = await tmux.waitFor(/Code \*{8}$/m);
    expect(screen).not.toContain(code.slice(4));
    tmux.sendKeys('Enter');

    const done = await tmux.waitForExit();
    expect(done.code, done.screen).toBe(0);
    expect(done.screen).toMatch(/✓ valid — alice, multi-use, 1 use\(s\)/);
    for (const piece of [code, code.slice(0, 4), code.slice(4)]) expect(done.screen).not.toContain(piece);
  });

  it('is masked under --no-input too (the code still comes from the terminal); a wrong code is exit 6', async () => {
    await issue();
    tmux.start({ args: ['verify', '--user', 'alice', '--no-input'], env: dirs.env });
    await tmux.waitFor(/\? Code/);
    tmux.type('WRONGCDE');
    await tmux.waitFor(/Code \*{8}$/m);
    tmux.sendKeys('Enter');
    const done = await tmux.waitForExit();
    expect(done.code, done.screen).toBe(6);
    expect(done.screen).not.toContain('WRONGCDE');
    expect(linesAfter(done.screen, /Code \*{8}/).join('\n')).toMatch(/✗ invalid: the code is not valid \(invalid_code\)/);
  });
});
