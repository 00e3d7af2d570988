/** Help: every command documents itself with a description and examples; help and typos work. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { GLOBAL_OPTIONS, type CommandSpec } from '../../src/cli/spec.js';
import { ROOT, tac } from './helpers.js';

const all = (specs: readonly CommandSpec[], path: string[] = []): { path: string[]; spec: CommandSpec }[] =>
  specs.flatMap((spec) => [{ path: [...path, spec.name], spec }, ...all(spec.subcommands ?? [], [...path, spec.name])]);

describe('the command tree', () => {
  const commands = all(COMMANDS);

  it('has commands', () => {
    expect(commands.length).toBeGreaterThan(10);
    expect(commands.map((c) => c.path.join(' '))).toContain('completion');
  });

  for (const { path, spec } of commands) {
    it(`tac ${path.join(' ')}: has a description and at least one example of itself`, () => {
      expect(spec.description.trim(), 'description').not.toBe('');
      expect(spec.examples.length, 'examples').toBeGreaterThanOrEqual(1);
      for (const e of spec.examples) {
        expect(e.command, 'an example runs tac').toMatch(/\btac /);
        expect(e.description.trim(), `description of "${e.command}"`).not.toBe('');
      }
      for (const o of spec.options ?? []) expect(o.description.trim(), o.flags).not.toBe('');
      for (const a of spec.args ?? []) expect(a.description.trim(), a.name).not.toBe('');
      expect(Boolean(spec.load) !== Boolean(spec.subcommands?.length), 'a handler or subcommands, not both').toBe(true);
    });
  }
});

describe('negated flags', () => {
  const options = [...GLOBAL_OPTIONS, ...all(COMMANDS).flatMap((c) => c.spec.options ?? [])];
  const negated = options.filter((o) => o.flags.startsWith('--no-'));

  it('each --no-X says what it does, not what --X does ("disable: case-sensitive codes")', () => {
    expect(negated.length).toBeGreaterThan(5);
    for (const o of negated) {
      expect(o.description, o.flags).not.toMatch(/^(enable|disable):/);
      const positive = options.find((p) => p.flags === o.flags.replace('--no-', '--'));
      if (positive) expect(o.description, o.flags).not.toBe(positive.description);
    }
    expect(negated.find((o) => o.flags === '--no-mixed-case')?.description).toMatch(/not case-sensitive/);
  });
});

describe('help and suggestions (built bin/tac)', () => {
  it('tac help generate prints the description, flags and examples', () => {
    const generate = COMMANDS.find((c) => c.name === 'generate')!;
    const r = tac(['help', 'generate']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: tac generate');
    expect(r.stdout).toContain('Examples:');
    for (const e of generate.examples) expect(r.stdout).toContain(e.command);
    expect(r.stdout).toContain('--user');
  });

  it('tac help users add and tac users help add print the subcommand help', () => {
    const a = tac(['users', 'help', 'add']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain('Usage: tac users add');
    expect(a.stdout).toContain('tac users add --username alice');
    const b = tac(['users', 'add', '--help']);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });

  it('tac generat suggests generate and exits 2', () => {
    const r = tac(['generat']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/unknown command 'generat'/);
    expect(r.stderr).toMatch(/Did you mean generate\?/);
  });

  it('a typo in a subcommand or a flag suggests the closest one, in one line', () => {
    const sub = tac(['users', 'ad']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toBe("error: unknown command 'users ad' (Did you mean users add?)\n");
    const flag = tac(['list', '--stauts', 'active']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe("error: unknown option '--stauts' (Did you mean --status?)\n");
  });

  it('tac gen suggests generate (a prefix), tac add suggests users add (a subcommand)', () => {
    expect(tac(['gen'])).toEqual({ code: 2, stdout: '', stderr: "error: unknown command 'gen' (Did you mean generate?)\n" });
    expect(tac(['add'])).toEqual({ code: 2, stdout: '', stderr: "error: unknown command 'add' (Did you mean users add?)\n" });
  });

  it('tac help users add prints the help of users add, as tac users add --help does', () => {
    const r = tac(['help', 'users', 'add']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: tac users add /);
    expect(r.stdout).toBe(tac(['users', 'add', '--help']).stdout);
  });

  it('help for an unknown command is one line saying so, exit 2', () => {
    for (const args of [['help', 'nosuch'], ['nosuch', '--help'], ['nosuch', '-h'], ['help', 'users', 'nosuch'], ['users', 'nosuch', '--help']]) {
      const r = tac(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: unknown command '(users )?nosuch' \(tac (users )?--help lists the commands\)\n$/);
    }
  });
});

describe('tac completion (built bin/tac)', () => {
  for (const [shell, file] of [['bash', 'completions/tac.bash'], ['zsh', 'completions/_tac'], ['fish', 'completions/tac.fish']] as const) {
    it(`tac completion ${shell} prints ${file}`, () => {
      const r = tac(['completion', shell]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(readFileSync(join(ROOT, file), 'utf8'));
    });
  }

  it('an unknown shell is a one-line usage error naming the shells', () => {
    const r = tac(['completion', 'powershell']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: .*powershell.*bash, zsh, fish\n$/);
  });

  it('a missing shell is a usage error', () => {
    const r = tac(['completion']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/shell/);
  });

  it('tac help completion shows how to install', () => {
    const r = tac(['help', 'completion']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('source <(tac completion bash)');
  });
});
