import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends, localBackend, SERVED, TacEnv, type RunResult } from './helpers/tac.js';

/**
 * Output and exit codes must match: one script of commands, run on a local database and against a
 * server, must print the same bytes (stdout and stderr) and exit the same, once ids, times, codes
 * and the actor are replaced by placeholders. Catches what per-field assertions do not: field
 * order in JSON, column order, wording of errors.
 */
describeBackends('remote: output matches local byte for byte', (remote) => {
  const local = new TacEnv(localBackend, 'parity-local');
  beforeAll(async () => {
    await local.start();
  });
  afterAll(async () => {
    await local.stop();
  });

  /** Codes each environment issued, to verify with and to blank out. */
  const codes = new Map<TacEnv, string[]>();

  function normalize(env: TacEnv, text: string, ids: Map<string, string>): string {
    let out = text;
    for (const code of codes.get(env) ?? []) out = out.split(code).join('<code>').split(code.toLowerCase()).join('<code>');
    out = out.replace(/\b(usr|tac|agt)_[a-z0-9]{16}\b/g, (id) => {
      if (!ids.has(id)) ids.set(id, `<${id.slice(0, 3)}${ids.size + 1}>`);
      return ids.get(id)!;
    });
    out = out.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>');
    // Audit event numbers: the server's database also holds the harness's agent.created events.
    out = out.replace(/"id":\d+/g, '"id":<n>').replace(/^\d+(?=\t<time>\t)/gm, '<n>');
    const actor = env.actor.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?<=[\\t"])${actor}(?=[\\t"\\n])`, 'g'), '<actor>');
    return out;
  }

  const idMaps = new Map<TacEnv, Map<string, string>>();
  const view = (env: TacEnv, r: RunResult) => {
    if (!idMaps.has(env)) idMaps.set(env, new Map());
    const ids = idMaps.get(env)!;
    return { code: r.code, stdout: normalize(env, r.stdout, ids), stderr: normalize(env, r.stderr, ids) };
  };

  /** Runs args on both, compares, and returns both results (local first). */
  async function both(args: string[], opts: { stdin?: (env: TacEnv) => string; issues?: 'json' | 'jsonl' | 'plain' } = {}): Promise<[RunResult, RunResult]> {
    const results: RunResult[] = [];
    for (const env of [local, remote]) {
      const r = await env.tac(args, { stdin: opts.stdin?.(env) });
      if (opts.issues && r.code === 0) {
        const list = codes.get(env) ?? [];
        if (opts.issues === 'plain') list.push(r.stdout.trim());
        else if (opts.issues === 'json') list.push((JSON.parse(r.stdout) as { code: string }).code);
        else list.push(...r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { code: string }).code));
        codes.set(env, list);
      }
      results.push(r);
    }
    const [l, r] = results as [RunResult, RunResult];
    expect.soft(view(remote, r), `tac ${args.join(' ')}`).toEqual(view(local, l));
    return [l, r];
  }

  const lastCode = (env: TacEnv) => `${codes.get(env)!.at(-1)}\n`;

  it('users', async () => {
    await both(['users', 'add', '--username', 'alice', '--email', 'alice@example.com', '--phone', '+15550100001', '--name', 'Alice Liddell']);
    await both(['users', 'add', '--username', 'bob', '--email', 'bob@example.com', '--json']);
    await both(['users', 'add', '--username', 'alice', '--email', 'other@example.com']);
    await both(['users', 'add', '--username', 'carol', '--email', 'not-an-email']);
    await both(['users', 'add', '--username', 'carol']);
    await both(['users', 'search']);
    await both(['users', 'search', 'ali', '--json']);
    await both(['users', 'show', 'alice']);
    await both(['users', 'show', 'alice@example.com', '--json']);
    await both(['users', 'show', 'nobody']);
    await both(['users', 'import', '-'], { stdin: () => 'username,email,phone,name,guest\ndan,dan@example.com,,Dan,no\neve,eve@example.com,,,\n' });
    await both(['users', 'import', '-', '--json'], { stdin: () => 'username,email\ndan,dan@example.com\nfay,bad\n' });
  });

  it('codes: generate, verify, list, delete', async () => {
    await both(['generate', '--verified-by', 'callback', '--user', 'alice'], { issues: 'plain' });
    await both(['verify', '--user', 'alice'], { stdin: lastCode });
    await both(['verify', '--user', 'alice', '--json'], { stdin: lastCode });
    await both(['generate', '--verified-by', 'id-document', '--verification-note', 'passport', '--user', 'bob', '--ttl', '2h', '--reason', 'lost phone', '--json'], { issues: 'json' });
    await both(['verify', '--user', 'bob', '--json'], { stdin: () => 'WRONG234\n' });
    await both(['verify', '--user', 'nobody'], { stdin: () => 'WRONG234\n' });
    await both(['generate', '--verified-by', 'callback', '--user', 'bob', '--ttl', '9h']);
    await both(['generate', '--verified-by', 'callback', '--user', 'nobody']);
    await both(['generate', '--user', 'bob']);
    await both(['generate', '--verified-by', 'callback', '--user', 'dan', '--starts-at', '+1d', '--json'], { issues: 'json' });
    await both(['list']);
    await both(['list', '--json']);
    await both(['list', '--user', 'bob', '--status', 'active', '--json']);
    await both(['list', '--status', 'nope']);
    await both(['delete', '--user', 'bob', '--yes', '--json']);
    await both(['delete', '--yes', 'tac_aaaaaaaaaaaaaaaa']);
    await both(['delete', '--user', 'dan']);
    await both(['users', 'show', 'bob', '--json']);
  });

  it('users: lockout, unlock, disable, enable, delete', async () => {
    for (let i = 0; i < 3; i++) await both(['verify', '--user', 'eve', '--json'], { stdin: () => 'WRONG234\n' });
    await both(['users', 'show', 'eve']);
    await both(['users', 'unlock', 'eve', '--json']);
    await both(['users', 'disable', 'eve']);
    await both(['users', 'disable', 'eve', '--yes']);
    await both(['generate', '--verified-by', 'callback', '--user', 'eve']);
    await both(['users', 'enable', 'eve', '--json']);
    await both(['users', 'delete', 'eve', '--yes']);
    await both(['users', 'delete', 'eve', '--yes']);
  });

  it('policy', async () => {
    await both(['policy', 'show']);
    await both(['policy', 'show', '--json']);
    await both(['policy', 'set', '--length', '10', '--multi-use-allowed', '--json']);
    await both(['policy', 'set', '--min-ttl', '2000']);
    await both(['policy', 'set', '--length', '4']);
    await both(['policy', 'set', '--from-file', '-']);
    await both(['generate', '--verified-by', 'callback', '--user', 'alice', '--multi-use', '--json'], { issues: 'json' });
    await both(['policy', 'reset']);
    await both(['policy', 'reset', '--yes', '--json']);
  });

  it('guests', async () => {
    await both(['guests', 'create', '--email', 'visitor@example.com', '--name', 'Vera', '--ttl', '8h', '--json'], { issues: 'json' });
    await both(['guests', 'create', '--email', 'visitor@example.com']);
    await both(['guests', 'create', '--email', 'alice@example.com']);
    await both(['guests', 'import', '-'], { stdin: () => 'email,name\nv2@example.com,V2\nv3@example.com,V3\n', issues: 'jsonl' });
    await both(['guests', 'import', '-'], { stdin: () => 'email\nv2@example.com\n' });
    await both(['guests', 'import', '-', '--on-existing', 'skip'], { stdin: () => 'email\nv2@example.com\nv4@example.com\n', issues: 'jsonl' });
    await both(['users', 'search', '--guests', '--json']);
  });

  it('audit and purge', async () => {
    await both(['audit', '--user', 'alice']);
    await both(['audit', '--user', 'alice', '--json']);
    await both(['audit', '--action', 'tac.verify_failed', '--limit', '2', '--json']);
    await both(['audit', '--action', 'nope']);
    await both(['audit', '--since', 'yesterday']);
    await both(['purge', '--dry-run', '--json']);
    await both(['purge']);
  });
}, { only: SERVED });
