/**
 * zsh and fish scripts: checked by the shells themselves when they are installed (they are not
 * installed for these tests; CI may have them). bash is covered by bash-completion.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { has, ROOT } from './helpers.js';

const ZSH = join(ROOT, 'completions', '_tac');
const FISH = join(ROOT, 'completions', 'tac.fish');
const hasZsh = has('zsh');
const hasFish = has('fish');

const title = (what: string, present: boolean, shell: string): string => (present ? what : `${what} (skipped: ${shell} is not installed)`);

describe('zsh completion', () => {
  it(title('zsh -n accepts completions/_tac', hasZsh, 'zsh'), ({ skip }) => {
    if (!hasZsh) skip('zsh is not installed');
    const r = spawnSync('zsh', ['-n', ZSH], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it(title('sourcing _tac after compinit registers it for tac', hasZsh, 'zsh'), ({ skip }) => {
    if (!hasZsh) skip('zsh is not installed');
    const r = spawnSync('zsh', ['-f', '-c', `autoload -U compinit && compinit -u -D && source '${ZSH}' && print -r -- $_comps[tac]`], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('_tac');
  });
});

describe('fish completion', () => {
  it(title('fish -n accepts completions/tac.fish', hasFish, 'fish'), ({ skip }) => {
    if (!hasFish) skip('fish is not installed');
    const r = spawnSync('fish', ['--no-config', '-n', FISH], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it(title('fish completes commands, subcommands and enum values', hasFish, 'fish'), ({ skip }) => {
    if (!hasFish) skip('fish is not installed');
    const run = (line: string): string[] => {
      const r = spawnSync('fish', ['--no-config', '-c', `source '${FISH}'; complete -C '${line}'`], { encoding: 'utf8' });
      return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!);
    };
    expect(run('tac ')).toContain('generate');
    expect(run('tac users ')).toContain('add');
    expect(run('tac list --status ')).toContain('active');
  });
});
