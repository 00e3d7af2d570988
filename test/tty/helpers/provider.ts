import { afterAll, afterEach, beforeAll } from 'vitest';
import { checkPrerequisites, makeDirs, Tmux, type TacDirs } from './tmux.js';

/**
 * A terminal suite against a provider's contract fake: temp dirs, the fake as a real process, and
 * the environment of an agent at the terminal (`envOf` adds the provider's TAC_* variables).
 */
export function useProviderTerminal<F extends { stop(): Promise<void> }>(metaUrl: string, name: string, start: () => Promise<F>, envOf: (fake: F) => Record<string, string>) {
  let dirs: TacDirs | undefined;
  let fake: F | undefined;
  let env: Record<string, string> = {};
  const tmux = new Tmux(metaUrl);
  beforeAll(async () => {
    checkPrerequisites();
    dirs = makeDirs(`tac-tty-${name}-`);
    fake = await start();
    env = { ...dirs.env, ...envOf(fake) };
  }, 30_000);
  afterEach(() => tmux.kill());
  afterAll(async () => {
    tmux.kill();
    await fake?.stop();
    dirs?.cleanup();
  });
  return { tmux, fake: () => fake!, env: () => env };
}

/**
 * `tac generate` with no flags: types `term` in the picker, waits for `email` among the matches,
 * picks the first, takes the first attestation method and no note. Returns the matches' screen.
 */
export async function pickAndAttest(tmux: Tmux, env: Record<string, string>, term: string, email: string): Promise<string> {
  tmux.start({ args: ['generate'], env });
  await tmux.waitFor(/\? Find the user/);
  tmux.type(term);
  const matches = await tmux.waitFor((s) => new RegExp(`Find the user.* ${term}$`, 'm').test(s) && s.includes(`<${email}>`));
  tmux.sendKeys('Enter');
  await tmux.waitFor(/❯ Security questions answered/);
  tmux.sendKeys('Enter');
  await tmux.waitFor(/\? Note \(optional\)/);
  tmux.sendKeys('Enter');
  return matches;
}
