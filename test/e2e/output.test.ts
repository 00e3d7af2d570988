import { mkdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeBackends, describeRun, PACKAGE_VERSION } from './helpers/tac.js';

const COMMANDS = ['generate', 'verify', 'list', 'delete', 'users', 'guests', 'policy', 'audit', 'purge', 'help'];

describeBackends('output', (env) => {
  it('errors are one line on stderr starting with "error:", nothing on stdout, no stack trace', async () => {
    await env.addUser('alice');
    const cases: [string[], number][] = [
      [['generate'], 2],
      [['generate', '--verified-by', 'callback', '--user', 'alice', '--ttl', 'abc'], 2],
      [['generate', '--verified-by', 'callback', '--user', 'nobody'], 3],
      [['generate', '--verified-by', 'callback', '--user', 'alice', '--ttl', '9h'], 5],
      [['users', 'delete', 'alice'], 2],
      [['users', 'add', '--username', 'alice', '--email', 'alice@example.com'], 5],
      [['list', '--status', 'nope'], 2],
      [['generate', '--verified-by', 'callback', '--user', 'alice', '--bogus'], 2],
      [['delete', '--yes', 'tac_aaaaaaaaaaaaaaaa'], 3],
    ];
    for (const [args, code] of cases) {
      const r = await env.tac(args);
      expect(r.code, describeRun(r)).toBe(code);
      expect(r.stdout, describeRun(r)).toBe('');
      expect(r.stderr, describeRun(r)).toMatch(/^error: \S.*\n$/);
      expect(r.stderr).not.toContain('    at ');
      expect(r.stderr).not.toContain('\x1b');
    }
  });

  it('piped output is tab-separated with no colour codes', async () => {
    await env.addUser('tabby', { name: 'Tab By' });
    await env.issue('tabby');
    for (const args of [['list'], ['users', 'search', 'tabby'], ['users', 'show', 'tabby'], ['audit', '--limit', '5'], ['policy', 'show']]) {
      const r = await env.tac(args);
      expect(r.code, describeRun(r)).toBe(0);
      expect(r.stdout, describeRun(r)).not.toContain('\x1b');
      expect(r.stderr).not.toContain('\x1b');
      expect(r.stdout).toContain('\t');
      // No box-drawing table borders when piped.
      expect(r.stdout).not.toMatch(/[│┌└─]/);
    }
    // One line per user, one column per field (empty phone included).
    const r = await env.tac(['users', 'search', 'tabby']);
    expect(r.stdout.trimEnd().split('\t')).toHaveLength(7);
  });

  it('colour only when forced, and --no-color / NO_COLOR always win', async () => {
    const forced = await env.tac(['users', 'add', '--username', 'c1', '--email', 'c1@example.com'], { env: { FORCE_COLOR: '1' } });
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('\x1b[');
    // Data on stdout stays plain even then.
    expect(forced.stdout).not.toContain('\x1b');
    const flag = await env.tac(['users', 'add', '--username', 'c2', '--email', 'c2@example.com', '--no-color'], { env: { FORCE_COLOR: '1' } });
    expect(flag.code).toBe(0);
    expect(flag.stderr).toContain('Added user c2');
    expect(flag.stderr).not.toContain('\x1b');
    const noColor = await env.tac(['users', 'add', '--username', 'c3', '--email', 'c3@example.com'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(noColor.code).toBe(0);
    expect(noColor.stderr).toContain('Added user c3');
    expect(noColor.stderr).not.toContain('\x1b');
    const plain = await env.tac(['users', 'add', '--username', 'c4', '--email', 'c4@example.com']);
    expect(plain.stderr).not.toContain('\x1b');
  });

  it('--version names this tool and its package.json version (not GNU tac), fast path or not', async () => {
    // --version alone takes bin/tac's fast path; with another flag, commander answers.
    for (const args of [['--version'], ['-V'], ['--no-color', '--version']]) {
      const r = await env.tac(args);
      expect(r.code, describeRun(r)).toBe(0);
      expect(r.stdout).toBe(`tac ${PACKAGE_VERSION} (temporary access codes)\n`);
      expect(r.stderr).toBe('');
    }
  });

  it('--help lists every command and the exit codes', async () => {
    const r = await env.tac(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tac/);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.stdout).toContain('Exit codes');
    expect(r.stdout).not.toContain('\x1b');
    const h = await env.tac(['help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toBe(r.stdout);
  });

  it('tac help generate (and generate --help) shows flags and examples', async () => {
    for (const args of [['help', 'generate'], ['generate', '--help']]) {
      const r = await env.tac(args);
      expect(r.code, describeRun(r)).toBe(0);
      expect(r.stdout).toMatch(/^Usage: tac generate/);
      expect(r.stdout).toContain('--ttl');
      expect(r.stdout).toContain('Examples:');
      expect(r.stdout).toContain('$ tac generate --user');
    }
    const sub = await env.tac(['help', 'users']);
    expect(sub.code).toBe(0);
    for (const c of ['add', 'import', 'search', 'show', 'unlock', 'disable', 'enable', 'delete']) expect(sub.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    const nested = await env.tac(['users', 'import', '--help']);
    expect(nested.code).toBe(0);
    expect(nested.stdout).toContain('--on-existing');
  });

  it('an unknown command suggests the closest one (exit 2)', async () => {
    let r = await env.tac(['generat', '--user', 'alice']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: unknown command 'generat'/);
    expect(r.stderr).toContain('Did you mean generate?');
    r = await env.tac(['users', 'shwo', 'alice']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Did you mean users show?');
    r = await env.tac(['generate', '--usr', 'alice']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown option '--usr'/);
    expect(r.stderr).toContain('--user');
  });

  it('a command group without a subcommand shows its help and exits 2', async () => {
    const r = await env.tac(['users']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: tac users');
  });
});

/**
 * Local only: the unexpected errors are provoked with --db pointing at a directory or a text file,
 * which is the local database by definition. (The same commands with --server are tested in
 * remote-login.test.ts: an unreachable server is exit 7, a non-tac one exit 1.)
 */
describeBackends('output: unexpected errors', (env) => {
  it('a database that cannot be opened is one line (exit 1), with the stack only under --debug', async () => {
    // A directory where the database file should be.
    const dir = env.newPath('a-directory');
    mkdirSync(dir);
    const r = await env.tac(['list', '--db', dir]);
    expect(r.code, describeRun(r)).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot open database .*\n$/);
    expect(r.stderr).not.toContain('    at ');
    const d = await env.tac(['list', '--db', dir, '--debug']);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/^error: /);
    expect(d.stderr).toContain('    at ');
  });

  it('--debug shows the cause of a wrapped error', async () => {
    const notDb = env.file('not.db', 'plain text, not SQLite\n'.repeat(100));
    const r = await env.tac(['list', '--db', notDb]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('    at ');
    const d = await env.tac(['list', '--db', notDb, '--debug']);
    expect(d.code).toBe(1);
    expect(d.stderr.split('\n')[0]).toMatch(/^error: .*not\.db/);
    expect(d.stderr).toContain('    at ');
  });
}, { only: ['local'] });
