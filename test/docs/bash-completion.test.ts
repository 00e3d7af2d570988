/**
 * Runs the committed completions/tac.bash in a real bash: sources it, sets COMP_WORDS/COMP_CWORD
 * as bash does, calls the completion function and reads COMPREPLY. Expectations come from the
 * command tree, so they hold as commands are added.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { GLOBAL_OPTIONS, type CommandSpec } from '../../src/cli/spec.js';
import { has, ROOT } from './helpers.js';

const SCRIPT = join(ROOT, 'completions', 'tac.bash');
const hasBash = has('bash');

const find = (path: string[]): CommandSpec => {
  let specs = COMMANDS;
  let found: CommandSpec | undefined;
  for (const name of path) {
    found = specs.find((s) => s.name === name);
    if (!found) throw new Error(`no command ${path.join(' ')}`);
    specs = found.subcommands ?? [];
  }
  return found!;
};
const longFlags = (spec: CommandSpec): string[] => (spec.options ?? []).map((o) => o.flags.split(/[ ,|]+/).find((f) => f.startsWith('--'))!);

/** A shell-quoted word. */
const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

interface Completion {
  words: string[];
  reply: string[];
}

/**
 * Completes each line (the words typed so far; the last one is the word under the cursor) in one
 * bash process and returns COMPREPLY for each. cwd is where file names are completed.
 */
function complete(lines: string[][], cwd = ROOT): Completion[] {
  const body = lines
    .map((words) => [
      `COMP_WORDS=(${words.map(sq).join(' ')})`,
      `COMP_CWORD=${words.length - 1}`,
      `COMP_LINE=${sq(words.join(' '))}`,
      'COMP_POINT=${#COMP_LINE}',
      'COMPREPLY=()',
      '_tac || echo "__status $?"',
      'printf "%s\\n" "${COMPREPLY[@]}"',
      'echo __end',
    ].join('\n'))
    .join('\n');
  const script = `set -u\nsource ${sq(SCRIPT)}\n${body}\n`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { cwd, encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0 || r.stderr) throw new Error(`bash failed (exit ${r.status}):\n${r.stderr}`);
  const chunks = r.stdout.split('__end\n').slice(0, -1);
  expect(chunks).toHaveLength(lines.length);
  return chunks.map((chunk, i) => {
    expect(chunk, `_tac failed for: ${lines[i]!.join(' ')}`).not.toMatch(/__status/);
    return { words: lines[i]!, reply: chunk.split('\n').filter((l) => l !== '') };
  });
}

const reply = (...words: string[]): string[] => complete([words])[0]!.reply;

const TITLE = 'bash completion (completions/tac.bash in a real bash)';

describe.skipIf(!hasBash)(hasBash ? TITLE : `${TITLE} (skipped: bash is not installed)`, () => {
  it('registers _tac for tac', () => {
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `source ${sq(SCRIPT)} && complete -p tac`], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('complete -F _tac tac');
  });

  it('completes every top-level command (and help), not flags, on an empty word', () => {
    expect(reply('tac', '').sort()).toEqual([...COMMANDS.map((c) => c.name), 'help'].sort());
  });

  it('completes a command from a prefix', () => {
    expect(reply('tac', 'gen')).toEqual(['generate']);
    expect(reply('tac', 'us')).toEqual(['users']);
    expect(reply('tac', 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('completes the subcommands of users, also after global flags', () => {
    const subs = [...find(['users']).subcommands!.map((s) => s.name), 'help'].sort();
    expect(reply('tac', 'users', '').sort()).toEqual(subs);
    expect(reply('tac', '--json', '--db', 'x.db', 'users', '').sort()).toEqual(subs);
    expect(reply('tac', 'users', 'un')).toEqual(['unlock']);
  });

  it('completes the flags of generate, with the global ones', () => {
    const got = reply('tac', 'generate', '--');
    for (const f of longFlags(find(['generate']))) expect(got).toContain(f);
    for (const o of GLOBAL_OPTIONS) expect(got).toContain(o.flags.split(/[ ,|]+/).find((f) => f.startsWith('--')));
    expect(got).toContain('--help');
    expect(got).not.toContain('--status');
    expect(reply('tac', 'generate', '--us')).toEqual(['--user']);
  });

  it('completes the flags of a nested command, not of its namesake', () => {
    // users import and guests import are both "import", with different flags.
    expect(reply('tac', 'guests', 'import', '--o').sort()).toEqual(['--on-existing', '--out']);
    expect(reply('tac', 'users', 'import', '--o')).toEqual(['--on-existing']);
  });

  it('completes enum values of list --status, from the tree', () => {
    const status = find(['list']).options!.find((o) => o.flags.startsWith('--status'))!.choices!;
    expect(reply('tac', 'list', '--status', '')).toEqual([...status]);
    expect(reply('tac', 'list', '--status', 'a')).toEqual(status.filter((s) => s.startsWith('a')));
    // An alias, and flags before it.
    expect(reply('tac', '--json', 'ls', '--user', 'alice', '--status', 're')).toEqual(['revoked']);
    // --status=value as bash splits it (COMP_WORDBREAKS has "="), and as one word.
    expect(reply('tac', 'list', '--status', '=', 'ex')).toEqual(['expired']);
    expect(reply('tac', 'list', '--status', '=')).toEqual([...status]);
    expect(reply('tac', 'list', '--status=us')).toEqual(['--status=used']);
  });

  it('completes enum values of every option with choices', () => {
    const cases: { words: string[]; choices: readonly string[] }[] = [];
    const visit = (specs: readonly CommandSpec[], path: string[]) => {
      for (const s of specs) {
        for (const o of s.options ?? []) {
          if (o.choices) cases.push({ words: ['tac', ...path, s.name, o.flags.split(/[ ,|]+/).find((f) => f.startsWith('--'))!, ''], choices: o.choices });
        }
        visit(s.subcommands ?? [], [...path, s.name]);
      }
    };
    visit(COMMANDS, []);
    expect(cases.length).toBeGreaterThan(0);
    const got = complete(cases.map((c) => c.words));
    got.forEach((g, i) => expect(g.reply, g.words.join(' ')).toEqual([...cases[i]!.choices]));
  });

  it('offers nothing for a free value (a user) and does not fall back to files', () => {
    expect(reply('tac', 'generate', '--user', '')).toEqual([]);
    expect(reply('tac', 'users', 'show', '')).toEqual([]);
  });

  it('completes subcommand names after help', () => {
    expect(reply('tac', 'help', 'gen')).toEqual(['generate']);
    expect(reply('tac', 'users', 'help', 'ad')).toEqual(['add']);
  });

  describe('file names', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'tac-bash-files-'));
      writeFileSync(join(dir, 'visitors.csv'), 'email,name\n');
      writeFileSync(join(dir, 'policy.json'), '{}');
      writeFileSync(join(dir, "it's odd.csv"), '');
      mkdirSync(join(dir, 'sub dir'));
    });

    it('completes files for a file argument and file flags', () => {
      const [arg, out, db, fromFile, quote] = complete(
        [
          ['tac', 'guests', 'import', 'vi'],
          ['tac', 'guests', 'import', 'visitors.csv', '--out', 'po'],
          ['tac', '--db', 'su'],
          ['tac', 'policy', 'set', '--from-file', ''],
          ['tac', 'users', 'import', 'it'],
        ],
        dir,
      );
      expect(arg!.reply).toEqual(['visitors.csv']);
      expect(out!.reply).toEqual(['policy.json']);
      expect(db!.reply).toEqual(['sub dir']);
      expect(fromFile!.reply.sort()).toEqual(["it's odd.csv", 'policy.json', 'sub dir', 'visitors.csv']);
      expect(quote!.reply).toEqual(["it's odd.csv"]);
    });

    it('does not crash on a missing directory or odd characters', () => {
      const got = complete(
        [
          ['tac', 'guests', 'import', '/no/such/dir/'],
          ['tac', 'users', 'import', '"$('],
          ['tac', 'policy', 'set', '--from-file', "'*"],
        ],
        dir,
      );
      for (const g of got) expect(g.reply, g.words.join(' ')).toEqual([]);
    });
  });
});

