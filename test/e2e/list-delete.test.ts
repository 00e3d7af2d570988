import { expect, it } from 'vitest';
import { describeBackends, describeRun, type IssuedJson, type TacJson } from './helpers/tac.js';

describeBackends('list and delete', (env) => {
  /** Built once in the first test: users with TACs in every reachable status, newest last. */
  const issued: Record<string, IssuedJson> = {};

  it('setup: one TAC of each status', async () => {
    for (const u of ['l-active', 'l-pending', 'l-used', 'l-revoked']) await env.addUser(u);
    issued.replaced = await env.issue('l-revoked');
    issued.revoked = await env.issue('l-revoked');
    await env.admin(['delete', '--yes', issued.revoked.id]);
    issued.used = await env.issue('l-used');
    expect((await env.verify('l-used', issued.used.code)).code).toBe(0);
    issued.pending = await env.issue('l-pending', '--starts-at', '+1h');
    issued.active = await env.issue('l-active');
  });

  it('lists newest first, with user and derived status', async () => {
    const all = await env.listJson();
    expect(all.map((t) => t.id)).toEqual([issued.active, issued.pending, issued.used, issued.revoked, issued.replaced].map((t) => t!.id));
    expect(all.map((t) => t.status)).toEqual(['active', 'pending', 'used', 'revoked', 'revoked']);
    expect(all[0]!.user).toMatchObject({ username: 'l-active', guest: false });
    expect(all[0]).toMatchObject({ oneTime: true, useCount: 0, createdBy: env.actor });
    expect(all[2]).toMatchObject({ useCount: 1 });
    expect(all[2]!.lastUsedAt).not.toBeNull();
    expect(all[3]!.revokedReason).toBe('deleted');
    expect(all[4]!.revokedReason).toBe('replaced');
  });

  it('--status filters', async () => {
    const ids = async (status: string) => (await env.listJson('--status', status)).map((t) => t.id);
    expect(await ids('active')).toEqual([issued.active!.id]);
    expect(await ids('pending')).toEqual([issued.pending!.id]);
    expect(await ids('used')).toEqual([issued.used!.id]);
    expect(await ids('revoked')).toEqual([issued.revoked!.id, issued.replaced!.id]);
    expect(await ids('expired')).toEqual([]);
    expect((await ids('all')).length).toBe(5);
    const r = await env.tac(['list', '--status', 'bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*bogus/);
  });

  it('--user and --limit', async () => {
    expect((await env.listJson('--user', 'l-revoked')).map((t) => t.id)).toEqual([issued.revoked!.id, issued.replaced!.id]);
    expect((await env.listJson('--limit', '2')).map((t) => t.id)).toEqual([issued.active!.id, issued.pending!.id]);
    expect((await env.listJson('--status', 'revoked', '--limit', '1')).map((t) => t.id)).toEqual([issued.revoked!.id]);
    for (const bad of ['0', '1001', 'ten']) {
      const r = await env.tac(['list', '--limit', bad]);
      expect(r.code, describeRun(r)).toBe(2);
      expect(r.stderr).toMatch(/^error: .*--limit/);
    }
    expect((await env.tac(['list', '--user', 'nobody'])).code).toBe(3);
  });

  it('piped list: one tab-separated line per TAC, no header, no colour', async () => {
    const r = await env.tac(['list']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    const first = lines[0]!.split('\t');
    expect(first.slice(0, 3)).toEqual([issued.active!.id, 'l-active', 'active']);
    expect(first).toHaveLength(8);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).not.toMatch(/\bID\b.*\bSTATUS\b/);
  });

  it('list, users show and audit never print a code', async () => {
    const codes = Object.values(issued).map((t) => t.code);
    // Twelve commands at once (against a server, each a token request: scrypt): slow on a loaded machine.
    const tac = (args: string[]) => env.tac(args, { timeoutMs: 45_000 });
    const outputs = await Promise.all([
      tac(['list']), tac(['list', '--json']),
      ...['l-active', 'l-pending', 'l-used', 'l-revoked'].flatMap((u) => [tac(['users', 'show', u]), tac(['users', 'show', u, '--json'])]),
      tac(['audit']), tac(['audit', '--json']),
    ]);
    for (const r of outputs) {
      expect(r.code, describeRun(r)).toBe(0);
      for (const c of codes) {
        expect(r.stdout, `tac ${r.args.join(' ')}`).not.toContain(c);
        expect(r.stderr).not.toContain(c);
      }
    }
  });

  it('delete TAC_ID revokes one TAC; the row stays as revoked', async () => {
    await env.addUser('d-one');
    const t = await env.issue('d-one');
    const r = await env.tacJson<{ revoked: TacJson[] }>(['delete', '--yes', t.id]);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.json.revoked).toHaveLength(1);
    expect(r.json.revoked[0]).toMatchObject({ id: t.id, status: 'revoked', revokedReason: 'deleted' });
    const [listed] = await env.listJson('--user', 'd-one');
    expect(listed).toMatchObject({ id: t.id, status: 'revoked', revokedReason: 'deleted' });
    expect((await env.verifyJson('d-one', t.code)).json).toEqual({ valid: false, reason: 'revoked' });
    // Again: nothing to revoke, not an error.
    const again = await env.tac(['delete', '--yes', t.id]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain('nothing to revoke');
  });

  it('the revoke alias works the same', async () => {
    await env.addUser('d-alias');
    const t = await env.issue('d-alias');
    const r = await env.tac(['revoke', '--yes', t.id]);
    expect(r.code, describeRun(r)).toBe(0);
    expect((await env.listJson('--user', 'd-alias'))[0]!.status).toBe('revoked');
  });

  it('delete --user revokes the user\'s live TAC (pending too)', async () => {
    await env.addUser('d-user');
    const t = await env.issue('d-user', '--starts-at', '+1h');
    const r = await env.tacJson<{ revoked: TacJson[] }>(['delete', '--yes', '--user', 'd-user']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.json.revoked.map((x) => x.id)).toEqual([t.id]);
    const tacs = await env.listJson('--user', 'd-user');
    expect(tacs).toHaveLength(1);
    expect(tacs[0]).toMatchObject({ id: t.id, status: 'revoked', revokedReason: 'deleted' });
    const none = await env.tacJson<{ revoked: TacJson[] }>(['delete', '--yes', '--user', 'd-user']);
    expect(none.code).toBe(0);
    expect(none.json.revoked).toEqual([]);
  });

  it('delete usage: neither or both of TAC_ID and --user → exit 2; unknown id → 3', async () => {
    let r = await env.tac(['delete']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: /);
    r = await env.tac(['delete', '--yes', issued.active!.id, '--user', 'l-active']);
    expect(r.code).toBe(2);
    r = await env.tac(['delete', '--yes', 'tac_aaaaaaaaaaaaaaaa']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: .*not found/);
    r = await env.tac(['delete', '--yes', '--user', 'nobody']);
    expect(r.code).toBe(3);
  });

  it('destructive commands need --yes when not interactive (piped, CI=true) and change nothing without it', async () => {
    const before = await env.listJson('--user', 'l-active');
    for (const extraEnv of [{}, { CI: 'true' }]) {
      for (const args of [['delete', issued.active!.id], ['delete', '--user', 'l-active'], ['users', 'disable', 'l-active'], ['users', 'delete', 'l-active'], ['policy', 'reset']]) {
        const r = await env.tac(args, { env: extraEnv });
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toBe('error: --yes required when not running interactively\n');
        expect(r.stdout).toBe('');
      }
    }
    expect(await env.listJson('--user', 'l-active')).toEqual(before);
  });
});
