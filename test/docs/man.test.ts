/** man/tac.1: lint-clean for mandoc, and it documents everything in the tree and the reference. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { ENVIRONMENT, EXIT_CODES, FILES } from '../../src/cli/reference.js';
import { GLOBAL_OPTIONS, type CommandSpec } from '../../src/cli/spec.js';
import { has, ROOT } from './helpers.js';

const MAN = join(ROOT, 'man', 'tac.1');
const hasMandoc = has('mandoc');
const roff = readFileSync(MAN, 'utf8');
/**
 * The page as text, rendered by mandoc. Without mandoc the tests that read the rendered page are
 * skipped, as the lint is (the roff source wraps lines and escapes characters, so it cannot stand
 * in); .ci/run installs mandoc, so CI always runs them.
 */
const rendered = hasMandoc ? spawnSync('mandoc', ['-T', 'ascii', '-O', 'width=1000', MAN], { encoding: 'utf8' }).stdout.replace(/.\x08/g, '') : '';
const needsMandoc = (skip: (note?: string) => void) => {
  if (!hasMandoc) skip('mandoc is not installed');
};

describe('man page', () => {
  it(hasMandoc ? 'mandoc -T lint reports nothing' : 'mandoc -T lint reports nothing (skipped: mandoc is not installed)', ({ skip }) => {
    if (!hasMandoc) skip('mandoc is not installed');
    const r = spawnSync('mandoc', ['-T', 'lint', MAN], { encoding: 'utf8' });
    const messages = `${r.stdout}${r.stderr}`.trim();
    expect(messages.split('\n').filter((l) => /ERROR|UNSUPP|BADARG/.test(l))).toEqual([]);
    expect(messages).toBe('');
    expect(r.status).toBe(0);
  });

  it('documents every command, argument and flag', ({ skip }) => {
    needsMandoc(skip);
    const visit = (specs: readonly CommandSpec[], path: string[]) => {
      for (const s of specs) {
        const p = [...path, s.name];
        expect(roff, `section for tac ${p.join(' ')}`).toContain(`.SS tac ${p.join(' ')}`.replace(/-/g, '\\-'));
        expect(rendered).toContain(s.description);
        for (const a of s.args ?? []) expect(rendered, `${p.join(' ')} <${a.name}>`).toContain(a.name);
        for (const o of s.options ?? []) {
          for (const f of o.flags.split(/[ ,|]+/).filter((x) => x.startsWith('-'))) expect(rendered, `${p.join(' ')} ${f}`).toContain(f);
          for (const c of o.choices ?? []) expect(rendered, `${p.join(' ')} ${o.flags} ${c}`).toContain(c);
        }
        for (const e of s.examples) expect(rendered, e.command).toContain(e.command);
        visit(s.subcommands ?? [], p);
      }
    };
    visit(COMMANDS, []);
    for (const o of GLOBAL_OPTIONS) expect(rendered).toContain(o.flags.split(/[ ,|]+/).find((f) => f.startsWith('--')));
    expect(rendered).toContain('--version');
    expect(rendered).toContain('--help');
  });

  it('documents every environment variable, file and exit code', ({ skip }) => {
    needsMandoc(skip);
    const section = (title: string): string => {
      const start = rendered.indexOf(`\n${title}\n`);
      expect(start, title).toBeGreaterThanOrEqual(0);
      const next = rendered.slice(start + title.length + 2).search(/\n[A-Z][A-Z ]+\n/);
      return rendered.slice(start, next < 0 ? undefined : start + title.length + 2 + next);
    };
    const env = section('ENVIRONMENT');
    for (const e of ENVIRONMENT) for (const n of e.names) expect(env).toContain(n);
    const files = section('FILES');
    for (const f of FILES) expect(files).toContain(f.path);
    const exits = section('EXIT STATUS');
    for (const x of EXIT_CODES) expect(exits).toMatch(new RegExp(`^\\s+${x.code}\\s+${x.meaning}`, 'm'));
    expect(section('EXAMPLES')).toContain('$ tac ');
  });

  it('has a fixed date and the package version, no current date', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(roff).toMatch(new RegExp(`^\\.TH TAC 1 \\d{4}-\\d{2}-\\d{2} "tac ${version.replace(/\./g, '\\.')}"`, 'm'));
  });

  it('keeps input lines short and never starts a text line with a control character by accident', () => {
    let noFill = false;
    for (const line of roff.split('\n')) {
      if (line === '.EX') noFill = true;
      if (line === '.EE') noFill = false;
      if (!noFill) expect(line.length, line).toBeLessThanOrEqual(80);
      expect(line, 'only ASCII').toMatch(/^[\x20-\x7e]*$/);
    }
  });
});

describe('man page in groff', () => {
  const hasGroff = has('groff');
  it(hasGroff ? 'groff -man -ww reports no warnings' : 'groff -man -ww reports no warnings (skipped: groff is not installed)', ({ skip }) => {
    if (!hasGroff) skip('groff is not installed');
    const r = spawnSync('groff', ['-man', '-ww', '-z', MAN], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
