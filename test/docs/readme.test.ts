/** README, the front door: its Quick start installs what the install test tests, and it names every global flag. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GLOBAL_OPTIONS } from '../../src/cli/spec.js';
import { VERSION_LINE } from '../../src/cli/version.js';
import { ROOT } from './helpers.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it('Quick start: install (npm ci, then npm install -g of the checkout), then tac itself', () => {
    const start = readme.slice(readme.indexOf('## Quick start'));
    const block = /```sh\n([\s\S]*?)```/.exec(start)![1]!.split('\n').filter(Boolean);
    expect(block[0]).toMatch(/^npm ci && sudo npm install -g --prefix \/usr\/local --ignore-scripts \.\s/);
    expect(block.slice(1).every((l) => l.startsWith('tac '))).toBe(true);
    // How to tell this tac from GNU coreutils' tac, and what to do when PATH finds GNU's first.
    expect(start).toContain(`$ tac --version\n${VERSION_LINE}\n`);
    expect(start).toContain('export PATH="/usr/local/bin:$PATH"');
  });

  it('runs tac directly, never through npx (~0.8 s a command)', () => {
    expect(readme).not.toMatch(/^\s*(- )?npx tac /m);
  });

  it('documents every global flag, --version and --help', () => {
    const table = readme.slice(readme.indexOf('| flag | what |'));
    const rows = table.slice(0, table.indexOf('\n\n'));
    for (const o of GLOBAL_OPTIONS) expect(rows, o.flags).toContain(`\`${o.flags.replace(/<(\w+)>/, (_, n: string) => n.toUpperCase())}\``);
    expect(rows).toContain('`--version`');
    expect(rows).toContain('`--help`');
  });
});
