import { expect, it } from 'vitest';
import { describeBackends, describeRun, SERVED, type IssuedJson, type Role } from './helpers/tac.js';

/**
 * Roles at the CLI: a command outside the agent's scopes exits 4 with one line naming the missing
 * scope (the server's 403), writes nothing on stdout and changes nothing. (The HTTP-level scope
 * matrix is in test/server/scopes.test.ts.)
 */
describeBackends('remote: scopes per role', (env) => {
  const as = (role: Role, args: string[], stdin?: string) => env.tac(args, { env: env.remote.envFor(role), stdin });

  it('setup', async () => {
    await env.addUser('sam');
    await env.addUser('lee');
  });

  const refused: [Role, string[], string][] = [
    ['helpdesk', ['policy', 'set', '--length', '10'], 'policy:write'],
    ['helpdesk', ['policy', 'reset', '--yes'], 'policy:write'],
    ['helpdesk', ['policy', 'show'], 'policy:read'],
    ['helpdesk', ['guests', 'create', '--email', 'g-helpdesk@example.com'], 'guests:write'],
    ['helpdesk', ['users', 'add', '--username', 'nope1', '--email', 'nope1@example.com'], 'users:write'],
    ['helpdesk', ['users', 'disable', '--yes', 'sam'], 'users:write'],
    ['helpdesk', ['users', 'delete', '--yes', 'sam'], 'users:write'],
    ['helpdesk', ['audit'], 'audit:read'],
    ['helpdesk', ['purge'], 'policy:write'],
    ['helpdesk', ['agents', 'list'], 'agents:write'],
    ['helpdesk', ['agents', 'create', '--name', 'sneaky', '--role', 'admin'], 'agents:write'],
    ['provisioner', ['generate', '--verified-by', 'callback', '--user', 'sam'], 'tacs:write'],
    ['provisioner', ['list'], 'tacs:read'],
    ['provisioner', ['users', 'unlock', 'sam'], 'users:unlock'],
    ['provisioner', ['users', 'add', '--username', 'nope2', '--email', 'nope2@example.com'], 'users:write'],
    ['app', ['users', 'search'], 'users:read'],
    ['app', ['users', 'show', 'sam'], 'users:read'],
    ['app', ['generate', '--verified-by', 'callback', '--user', 'sam'], 'tacs:write'],
    ['app', ['list'], 'tacs:read'],
    ['app', ['guests', 'create', '--email', 'g-app@example.com'], 'guests:write'],
    ['app', ['delete', '--yes', '--user', 'sam'], 'tacs:write'],
  ];

  for (const [role, args, scope] of refused) {
    it(`${role}: tac ${args.join(' ')} → exit 4 naming ${scope}`, async () => {
      const r = await as(role, args);
      expect(r.code, describeRun(r)).toBe(4);
      expect(r.stdout).toBe('');
      expect(r.stderr, describeRun(r)).toMatch(/^error: \S.*\n$/);
      expect(r.stderr).toContain(scope);
      expect(r.stderr).toContain(`(${role})`);
      expect(r.stderr).not.toContain('    at ');
    });
  }

  it('verify needs tacs:verify: a provisioner is refused with exit 4, not a verdict', async () => {
    const issued = await env.adminJson<IssuedJson>(['generate', '--verified-by', 'callback', '--user', 'lee']);
    const r = await as('provisioner', ['verify', '--user', 'lee'], `${issued.code}\n`);
    expect(r.code, describeRun(r)).toBe(4);
    expect(r.stderr).toContain('tacs:verify');
    expect(r.stdout).toBe('');
    // The refused attempt did not consume or count against the code.
    const ok = await as('app', ['verify', '--user', 'lee', '--json'], `${issued.code}\n`);
    expect(ok.code, describeRun(ok)).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true });
  });

  it('each role can do what its scopes allow', async () => {
    let r = await as('helpdesk', ['users', 'search', 'sam', '--json']);
    expect(r.code, describeRun(r)).toBe(0);
    r = await as('helpdesk', ['generate', '--verified-by', 'callback', '--user', 'sam', '--json']);
    expect(r.code, describeRun(r)).toBe(0);
    const code = (JSON.parse(r.stdout) as IssuedJson).code;
    r = await as('helpdesk', ['list', '--user', 'sam']);
    expect(r.code, describeRun(r)).toBe(0);
    r = await as('helpdesk', ['users', 'unlock', 'sam']);
    expect(r.code, describeRun(r)).toBe(0);
    r = await as('app', ['verify', '--user', 'sam'], `${code}\n`);
    expect(r.code, describeRun(r)).toBe(0);
    r = await as('provisioner', ['guests', 'create', '--email', 'g-prov@example.com', '--json']);
    expect(r.code, describeRun(r)).toBe(0);
    r = await as('provisioner', ['users', 'search', '--guests', '--json']);
    expect(r.code, describeRun(r)).toBe(0);
    // Whoever acted is the audit actor.
    const events = await env.auditJson('--limit', '1000');
    const actors = new Set(events.map((e) => e.actor));
    for (const role of ['admin', 'helpdesk', 'provisioner', 'app'] as const) expect(actors).toContain(`agent:${env.remote.agents[role].name}`);
  });

  it('the refused commands changed nothing', async () => {
    const policy = await env.adminJson<{ length: number }>(['policy', 'show']);
    expect(policy.length).toBe(8);
    const users = await env.adminJson<{ username: string; disabled: boolean }[]>(['users', 'search']);
    expect(users.map((u) => u.username).sort()).toEqual(['g-prov@example.com', 'lee', 'sam']);
    expect(users.every((u) => !u.disabled)).toBe(true);
    const agents = await env.adminJson<{ name: string }[]>(['agents', 'list']);
    expect(agents.map((a) => a.name)).not.toContain('sneaky');
    const created = await env.auditJson('--action', 'guest.created');
    expect(created).toHaveLength(1);
  });
}, { only: SERVED });
