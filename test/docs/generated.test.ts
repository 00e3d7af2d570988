/**
 * The committed completion scripts and man page must be what the command tree generates now:
 * when a command, flag or reference entry changes, `npm run gen` has to be run and its output
 * committed. Also checks the README's reference sections against src/cli/reference.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDocs, GENERATED_FILES } from '../../src/cli/docs/index.js';
import { ENVIRONMENT, EXIT_CODES, FILES } from '../../src/cli/reference.js';
import { POLICY_RANGES, rangeText } from '../../src/core/policy.js';
import { ROOT } from './helpers.js';

const generated = generateDocs();

describe('generated files are up to date', () => {
  it('generates the four files', () => {
    expect(Object.keys(generated).sort()).toEqual(Object.values(GENERATED_FILES).sort());
  });

  for (const [path, content] of Object.entries(generated)) {
    it(`${path} matches the command tree`, () => {
      let committed: string;
      try {
        committed = readFileSync(join(ROOT, path), 'utf8');
      } catch {
        throw new Error(`${path} is missing: run \`npm run gen\` and commit it`);
      }
      if (committed !== content) {
        const a = committed.split('\n');
        const b = content.split('\n');
        const i = a.findIndex((line, n) => line !== b[n]);
        throw new Error(
          `${path} is stale: run \`npm run gen\` and commit the result.\n` +
            `first difference at line ${i + 1}:\n  committed: ${a[i] ?? '(end of file)'}\n  generated: ${b[i] ?? '(end of file)'}`,
        );
      }
    });
  }

  it('generation is deterministic', () => {
    expect(generateDocs()).toEqual(generated);
  });

  it('package.json lists the man page and has the gen script', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { man?: string | string[]; scripts?: Record<string, string> };
    const man = ([] as string[]).concat(pkg.man ?? []).map((m) => m.replace(/^\.\//, ''));
    expect(man).toContain(GENERATED_FILES.man);
    expect(pkg.scripts?.gen).toMatch(/dist\/cli\/docs\/write\.js/);
  });
});

describe('README reference sections agree with src/cli/reference.ts', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = (title: string): string => {
    const start = readme.indexOf(`\n## ${title}\n`);
    expect(start, `README has a "## ${title}" section`).toBeGreaterThanOrEqual(0);
    const end = readme.indexOf('\n## ', start + 1);
    return readme.slice(start, end < 0 ? undefined : end);
  };

  it('Exit codes: one row per code, and no other', () => {
    const rows = [...section('Exit codes').matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    expect(rows).toEqual(EXIT_CODES.map((x) => x.code));
  });

  it('Environment variables: every variable, and no other', () => {
    const names = [...section('Environment variables').matchAll(/^\| (.+?) \|/gm)]
      .flatMap((m) => [...m[1]!.matchAll(/`([A-Z_]+)`/g)].map((n) => n[1]!));
    expect(names.sort()).toEqual(ENVIRONMENT.flatMap((e) => e.names).sort());
  });

  it("Policy: each numeric field's row names its range as every message does", () => {
    const rows = readme.split('\n').filter((l) => l.startsWith('| `'));
    for (const [field, range] of Object.entries(POLICY_RANGES)) {
      const row = rows.find((l) => l.split('|')[1]!.includes(`\`${field}\``));
      expect(row, field).toContain(rangeText(range));
    }
  });

  it('Files: every file', () => {
    const text = section('Files');
    for (const f of FILES) expect(text, f.path).toContain(`\`${f.path}\``);
  });
});
