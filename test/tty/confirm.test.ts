/**
 * Destructive commands confirm on a terminal unless --yes: "n" cancels (exit 8, its own code;
 * nothing changes), "y" goes ahead, Ctrl-C leaves at once writing nothing (exit 130).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkPrerequisites, linesAfter, makeDirs, runOk, runTac, Tmux, type TacDirs } from './helpers/tmux.js';

let dirs: TacDirs;
const tmux = new Tmux(import.meta.url);

beforeAll(() => {
  checkPrerequisites();
  dirs = makeDirs();
});
afterEach(() => tmux.kill());
afterAll(() => {
  tmux.kill();
  dirs?.cleanup();
});

const userExists = async (user: string): Promise<boolean> => {
  const r = await runTac(['users', 'show', user, '--json'], dirs.env);
  if (r.code !== 0 && r.code !== 3) throw new Error(`users show ${user}: exit ${r.code}: ${r.stderr}`);
  return r.code === 0;
};

/** Runs a command that asks; answers with `key`; returns the exit code and final screen. */
const answer = (args: string[], question: RegExp, key: 'y' | 'n') => tmux.answer({ args, env: dirs.env }, question, key);

describe('confirmation of destructive commands on a terminal', { timeout: 60_000 }, () => {
  it('tac users delete: "n" cancels and keeps the user (exit 8), "y" deletes (exit 0)', async () => {
    await runOk(['users', 'add', '--username', 'bob', '--email', 'bob@example.com'], dirs.env);
    const q = /\? Delete user bob and all their TACs\? This cannot be undone\. \(y\/N\)/;

    const no = await answer(['users', 'delete', 'bob'], q, 'n');
    expect(no.code, no.screen).toBe(8);
    expect(no.screen).toMatch(/Cancelled; nothing was changed\./);
    expect(no.screen).not.toMatch(/Deleted/);
    expect(await userExists('bob')).toBe(true);

    const yes = await answer(['users', 'delete', 'bob'], q, 'y');
    expect(yes.code, yes.screen).toBe(0);
    expect(yes.screen).toMatch(/Deleted bob and their TACs\./);
    expect(await userExists('bob')).toBe(false);
  });

  it('tac users disable asks first', async () => {
    await runOk(['users', 'add', '--username', 'dave', '--email', 'dave@example.com'], dirs.env);
    const no = await answer(['users', 'disable', 'dave'], /\? Disable dave\?.*\(y\/N\)/, 'n');
    expect(no.code, no.screen).toBe(8);
    const show = JSON.parse((await runOk(['users', 'show', 'dave', '--json'], dirs.env)).stdout) as { disabled: boolean };
    expect(show.disabled).toBe(false);
  });

  it('tac policy reset: "n" keeps the policy, "y" resets it', async () => {
    await runOk(['policy', 'set', '--default-ttl', '2h'], dirs.env);
    const defaultTtl = async () => (JSON.parse((await runOk(['policy', 'show', '--json'], dirs.env)).stdout) as { defaultTtl: number }).defaultTtl;
    expect(await defaultTtl()).toBe(120);
    const q = /\? Reset the TAC policy to the defaults\? \(y\/N\)/;

    const no = await answer(['policy', 'reset'], q, 'n');
    expect(no.code, no.screen).toBe(8);
    expect(no.screen).toMatch(/Cancelled/);
    expect(await defaultTtl()).toBe(120);

    const yes = await answer(['policy', 'reset'], q, 'y');
    expect(yes.code, yes.screen).toBe(0);
    expect(yes.screen).toMatch(/Policy reset to the defaults\./);
    expect(await defaultTtl()).toBe(60);
  });

  it('tac delete TAC_ID: "n" leaves the code active, "y" revokes it', async () => {
    await runOk(['users', 'add', '--username', 'carol', '--email', 'carol@example.com'], dirs.env);
    const issued = JSON.parse((await runOk(['generate', '--user', 'carol', '--verified-by', 'callback', '--json'], dirs.env)).stdout) as { id: string };
    const status = async () => (JSON.parse((await runOk(['list', '--user', 'carol', '--json'], dirs.env)).stdout) as { id: string; status: string }[]).find((t) => t.id === issued.id)?.status;
    const q = new RegExp(`\\? Revoke TAC ${issued.id}\\? \\(y/N\\)`);

    const no = await answer(['delete', issued.id], q, 'n');
    expect(no.code, no.screen).toBe(8);
    expect(await status()).toBe('active');

    const yes = await answer(['delete', issued.id], q, 'y');
    expect(yes.code, yes.screen).toBe(0);
    expect(yes.screen).toMatch(/Revoked 1 TAC\./);
    expect(await status()).toBe('revoked');
  });

  it('tac agents revoke: "n" keeps the agent (exit 8), "y" revokes it; --yes revokes without asking', async () => {
    const create = async (name: string) => (JSON.parse((await runOk(['agents', 'create', '--name', name, '--role', 'helpdesk', '--json'], dirs.env)).stdout) as { clientId: string }).clientId;
    const revokedAt = async (clientId: string) => {
      const all = JSON.parse((await runOk(['agents', 'list', '--all', '--json'], dirs.env)).stdout) as { clientId: string; revokedAt: string | null }[];
      return all.find((a) => a.clientId === clientId)!.revokedAt;
    };
    const desk = await create('desk-1');
    const q = new RegExp(`\\? Revoke agent ${desk}\\? Its tokens stop working at once\\. \\(y/N\\)`);

    const no = await answer(['agents', 'revoke', desk], q, 'n');
    expect(no.code, no.screen).toBe(8);
    expect(no.screen).toMatch(/Cancelled; nothing was changed\./);
    expect(await revokedAt(desk)).toBeNull();

    const yes = await answer(['agents', 'revoke', desk], q, 'y');
    expect(yes.code, yes.screen).toBe(0);
    expect(yes.screen).toMatch(/Revoked agent desk-1; its tokens no longer work\./);
    expect(await revokedAt(desk)).not.toBeNull();

    const scripted = await create('desk-2');
    await runOk(['agents', 'revoke', scripted, '--yes'], dirs.env);
    expect(await revokedAt(scripted)).not.toBeNull();
  });

  it('Ctrl-C at the confirmation exits 130 at once, changing and printing nothing', async () => {
    await runOk(['users', 'add', '--username', 'erin', '--email', 'erin@example.com'], dirs.env);
    tmux.start({ args: ['users', 'delete', 'erin'], env: dirs.env });
    const q = /\? Delete user erin .*\(y\/N\)/;
    await tmux.waitFor(q);
    const pressed = Date.now();
    tmux.sendKeys('C-c');
    const { code, screen } = await tmux.waitForExit();
    expect(code, screen).toBe(130);
    expect(Date.now() - pressed).toBeLessThan(5_000);
    expect(linesAfter(screen, q).filter((l) => l.trim())).toEqual(['EXIT=130']);
    expect(screen).not.toMatch(/Cancelled|Deleted|error/);
    expect(await userExists('erin')).toBe(true);
  });
});
