/**
 * Without a person at a terminal nothing prompts: a missing value is exit 2 naming the flag to
 * pass, and destructive commands need --yes. Checked piped (stdin not a TTY), on a terminal with
 * CI set, on a terminal with --no-input, and with only stdin redirected.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkPrerequisites, makeDirs, runOk, runTac, Tmux, type TacDirs } from './helpers/tmux.js';

let dirs: TacDirs;
const tmux = new Tmux(import.meta.url);

beforeAll(async () => {
  checkPrerequisites();
  dirs = makeDirs();
  await runOk(['users', 'add', '--username', 'bob', '--email', 'bob@example.com'], dirs.env);
}, 30_000);
afterEach(() => tmux.kill());
afterAll(() => {
  tmux.kill();
  dirs?.cleanup();
});

/** Checked piped and in every terminal variant. */
const GUARDS: { name: string; args: string[]; message: string }[] = [
  { name: 'generate without --user', args: ['generate'], message: 'error: --user is required when not running interactively' },
  { name: 'users delete without --yes', args: ['users', 'delete', 'bob'], message: 'error: --yes required when not running interactively' },
  { name: 'policy reset without --yes', args: ['policy', 'reset'], message: 'error: --yes required when not running interactively' },
  { name: 'agents revoke without --yes', args: ['agents', 'revoke', 'agt_abcdefghijklmnop'], message: 'error: --yes required when not running interactively' },
  {
    name: 'login without --client-secret-stdin',
    args: ['login', '--server', 'http://127.0.0.1:9', '--client-id', 'tac_client'],
    message: 'error: --client-secret-stdin is required when not running interactively',
  },
];
const LOGIN_FIRST_PROMPT = { name: 'login without any flag', args: ['login'], message: 'error: --server is required when not running interactively' };

/** Nothing was changed by the refused commands (checked once, at the end: every run is refused). */
async function expectUnchanged(): Promise<void> {
  await runOk(['users', 'show', 'bob'], dirs.env);
  const audit = await runOk(['audit', '--json', '--action', 'tac.generated'], dirs.env);
  expect(audit.stdout.trim()).toBe('');
  const policy = await runOk(['audit', '--json', '--action', 'policy.updated'], dirs.env);
  expect(policy.stdout.trim()).toBe('');
  expect(existsSync(join(dirs.config, 'tac', 'credentials.json'))).toBe(false);
}

describe('non-interactive guards', { timeout: 60_000 }, () => {
  describe('piped (stdin not a TTY)', () => {
    it.each([...GUARDS, LOGIN_FIRST_PROMPT])('$name: exit 2 naming the flag', async ({ args, message }) => {
      const r = await runTac(args, { ...dirs.env, TAC_KEYCHAIN: 'off' });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe(`${message}\n`);
      expect(r.stdout).toBe('');
    });
  });

  // On a real terminal, so only CI / --no-input / the redirected stdin can be what stops the prompt.
  const TERMINAL_VARIANTS: { name: string; env: Record<string, string>; extra: string[]; stdinFrom?: string }[] = [
    { name: 'CI=true on a terminal', env: { CI: 'true' }, extra: [] },
    { name: '--no-input on a terminal', env: {}, extra: ['--no-input'] },
    { name: 'stdin from /dev/null, stdout a terminal', env: {}, extra: [], stdinFrom: '/dev/null' },
  ];
  for (const variant of TERMINAL_VARIANTS) {
    describe(variant.name, () => {
      it.each(GUARDS)('$name: exit 2 naming the flag', async ({ args, message }) => {
        tmux.start({ args: [...args, ...variant.extra], env: { ...dirs.env, TAC_KEYCHAIN: 'off', ...variant.env }, stdinFrom: variant.stdinFrom });
        const { code, screen } = await tmux.waitForExit();
        expect(code, screen).toBe(2);
        expect(screen.split('\n').filter((l) => l.trim())).toEqual([message, 'EXIT=2']);
      });
    });
  }

  it('CI=false or CI=0 is not CI: the prompt appears', async () => {
    for (const ci of ['false', '0']) {
      tmux.start({ args: ['users', 'delete', 'bob'], env: { ...dirs.env, CI: ci } });
      await tmux.waitFor(/\? Delete user bob .*\(y\/N\)/);
      tmux.sendKeys('C-c');
      expect((await tmux.waitForExit()).code).toBe(130);
    }
  });

  it('none of the refused commands changed anything', async () => {
    await expectUnchanged();
  });
});
