/**
 * main() builds only the command that argv names (start-up cost), the whole tree otherwise. The
 * pruned tree must behave like the whole one for that command: same help, same errors.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { commandsFor, main } from '../../src/cli/main.js';

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    io: { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, stdin: Readable.from([]) },
    env: { HOME: '/nonexistent', TAC_KEYCHAIN: 'off', CI: '1' },
  });
  return { code, stdout, stderr };
}

describe('commandsFor', () => {
  const names = (argv: string[]) => commandsFor(argv).map((c) => c.name);

  it('keeps only the command named first', () => {
    expect(names(['generate', '--user', 'alice'])).toEqual(['generate']);
    expect(names(['users', 'add', '--help'])).toEqual(['users']);
  });

  it('matches aliases', () => {
    const aliased = COMMANDS.find((c) => c.aliases?.length);
    expect(aliased, 'some command has an alias').toBeDefined();
    expect(names([aliased!.aliases![0]!])).toEqual([aliased!.name]);
  });

  it('keeps everything when argv does not start with a command', () => {
    const all = COMMANDS.map((c) => c.name);
    for (const argv of [[], ['--json', 'generate'], ['help', 'generate'], ['generat'], ['--help']]) expect(names(argv)).toEqual(all);
  });
});

describe('the pruned tree behaves like the whole one', () => {
  it('command help is the same as through `tac help`', async () => {
    const pruned = await run(['generate', '--help']);
    const whole = await run(['help', 'generate']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toBe(whole.stdout);
    expect(pruned.stdout).toContain('--user');
  });

  it('a mistyped command is still a usage error with a suggestion', async () => {
    const r = await run(['generat', '--user', 'alice']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('generate');
  });

  it('an unknown subcommand is judged within its command', async () => {
    const r = await run(['users', 'ad']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/add/);
  });
});
