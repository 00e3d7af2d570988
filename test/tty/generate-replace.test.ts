/**
 * `tac generate` for a user who has a live TAC: on a terminal it asks before replacing it (No is
 * exit 8 and keeps the old code; Ctrl-C is 130), `--yes` skips the question, and scripts replace
 * without asking or printing more than the code. On the local database and against `tac serve`
 * on SQLite and on PostgreSQL (as a help-desk agent): the check goes through the Backend interface.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackends, TacEnv, type TacJson, type UserJson } from '../e2e/helpers/tac.js';
import { checkPrerequisites, runOk, runTac, Tmux } from './helpers/tmux.js';

const tmux = new Tmux(import.meta.url);
afterEach(() => tmux.kill());
afterAll(() => tmux.kill());

for (const variant of selectedBackends()) {
  describe(`generate replaces a live TAC only when told (${variant.name})`, { timeout: 90_000 }, () => {
    const env = new TacEnv(variant, 'replace');
    /** The environment of the agent at the terminal: a help-desk agent against a server. */
    let agent: Record<string, string>;

    beforeAll(async () => {
      checkPrerequisites();
      await env.start();
      agent = variant.name === 'local' ? env.env : { ...env.env, ...env.remote.envFor('helpdesk') };
      for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) await runOk(['users', 'add', '--username', u, '--email', `${u}@example.com`], env.env);
    }, 120_000);
    afterAll(() => env.stop());

    const issue = (user: string, ...extra: string[]) => runOk(['generate', '--user', user, '--verified-by', 'callback', '--json', ...extra], env.env).then((r) => JSON.parse(r.stdout) as { id: string; startsAt: string; expiresAt: string });
    const current = async (user: string) => (JSON.parse((await runOk(['users', 'show', user, '--json'], env.env)).stdout) as UserJson & { currentTac: TacJson | null }).currentTac;
    const tacOf = async (user: string, id: string) => (JSON.parse((await runOk(['list', '--user', user, '--json'], env.env)).stdout) as TacJson[]).find((t) => t.id === id)!;
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

    it('asks "replace it?" naming the expiry; No exits 8 and keeps the code, Yes replaces it', async () => {
      const old = await issue('alice');
      const q = new RegExp(`\\? alice has an active TAC until ${esc(old.expiresAt)} \\(in [^)]+\\); replace it\\? \\(y/N\\)`);

      const args = ['generate', '--user', 'alice', '--verified-by', 'callback'];
      const no = await tmux.answer({ args, env: agent }, q, 'n');
      expect(no.code, no.screen).toBe(8);
      expect(no.screen).toMatch(/Cancelled; nothing was changed\./);
      expect(no.screen).not.toMatch(/will not be shown again/);
      expect((await current('alice'))?.id).toBe(old.id);
      expect((await tacOf('alice', old.id)).status).toBe('active');

      const yes = await tmux.answer({ args, env: agent }, q, 'y');
      expect(yes.code, yes.screen).toBe(0);
      expect(yes.screen).toMatch(/will not be shown again/);
      expect((await current('alice'))?.id).not.toBe(old.id);
      expect(await tacOf('alice', old.id)).toMatchObject({ status: 'revoked', revokedReason: 'replaced' });
    });

    it('a pending TAC is named with its start; Ctrl-C exits 130 and keeps it', async () => {
      const old = await issue('bob', '--starts-at', '+2h');
      tmux.start({ args: ['generate', '--user', 'bob', '--verified-by', 'callback'], env: agent });
      await tmux.waitFor(new RegExp(`\\? bob has a pending TAC starting ${esc(old.startsAt)} \\(in [^)]+\\); replace it\\? \\(y/N\\)`));
      tmux.sendKeys('C-c');
      const { code, screen } = await tmux.waitForExit();
      expect(code, screen).toBe(130);
      expect(screen).not.toMatch(/Cancelled|will not be shown again/);
      expect(await tacOf('bob', old.id)).toMatchObject({ status: 'pending', revokedReason: null });
    });

    it('--yes replaces without asking', async () => {
      const old = await issue('carol');
      tmux.start({ args: ['generate', '--user', 'carol', '--verified-by', 'callback', '--yes'], env: agent });
      const { code, screen } = await tmux.waitForExit();
      expect(code, screen).toBe(0);
      expect(screen).not.toMatch(/replace it\?/);
      expect(screen).toMatch(/will not be shown again/);
      expect(await tacOf('carol', old.id)).toMatchObject({ status: 'revoked', revokedReason: 'replaced' });
    });

    it('no question when the user has no live TAC', async () => {
      tmux.start({ args: ['generate', '--user', 'dave', '--verified-by', 'callback'], env: agent });
      const { code, screen } = await tmux.waitForExit();
      expect(code, screen).toBe(0);
      expect(screen).not.toMatch(/replace it\?/);
      expect(screen).toMatch(/will not be shown again/);
    });

    it('scripts (piped) replace without asking, printing only the code', async () => {
      const old = await issue('erin');
      const r = await runTac(['generate', '--user', 'erin', '--verified-by', 'callback'], agent);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^[2-9A-Z]{8}\n$/);
      expect(r.stderr).toBe('');
      expect(await tacOf('erin', old.id)).toMatchObject({ status: 'revoked', revokedReason: 'replaced' });
    });
  });
}
