/**
 * Installing: `npm install -g` of the checkout (the README's Quick start, into a temporary prefix)
 * links bin/tac and the man page, so that `man tac` shows ours; a clean `npm ci` has no install
 * script left undecided (npm warns about those).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION_LINE } from '../../src/cli/version.js';
import { has, ROOT } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  man: unknown;
  allowScripts: Record<string, boolean>;
};

describe('package.json', () => {
  it('lists the man page in an array: npm links no man page from a string', () => {
    expect(pkg.man).toEqual(['./man/tac.1']);
    expect(pkg.bin).toEqual({ tac: 'bin/tac' });
  });

  it('decides every install script of the lockfile in allowScripts (else npm ci warns)', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const scripted = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([path]) => path.replace(/^.*node_modules\//, ''));
    expect(scripted.length).toBeGreaterThan(0);
    for (const name of scripted) expect(typeof pkg.allowScripts[name], name).toBe('boolean');
    // The build runs esbuild through its JavaScript API, which does not need esbuild's postinstall.
    expect(pkg.allowScripts.esbuild).toBe(false);
  });
});

describe('npm install -g of the checkout (the Quick start, into a temporary prefix)', () => {
  const prefix = mkdtempSync(join(tmpdir(), 'tac-prefix-'));
  afterAll(() => rmSync(prefix, { recursive: true, force: true }));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: prefix, npm_config_update_notifier: 'false' };
  let install: ReturnType<typeof spawnSync>;
  // Offline: a folder install links the checkout, whose dependencies are installed already.
  beforeAll(() => {
    install = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--ignore-scripts', '--offline', '--no-audit', '--no-fund', '--cache', join(prefix, 'npm-cache'), ROOT], {
      encoding: 'utf8',
      env,
      timeout: 120_000,
    });
  }, 130_000);
  const page = join(prefix, 'share', 'man', 'man1', 'tac.1');

  it('succeeds, and the tac on PATH is this tool', () => {
    expect(install.status, `${String(install.stdout)}${String(install.stderr)}`).toBe(0);
    const r = spawnSync(join(prefix, 'bin', 'tac'), ['--version'], { encoding: 'utf8', env });
    expect(r.stdout).toBe(`${VERSION_LINE}\n`);
  });

  it('links the man page where man looks for it', () => {
    expect(existsSync(page), page).toBe(true);
    expect(realpathSync(page)).toBe(realpathSync(join(ROOT, 'man', 'tac.1')));
  });

  it(has('man') ? 'man -w tac finds it, by MANPATH and by PATH' : 'man -w tac finds it (skipped: man is not installed)', ({ skip }) => {
    if (!has('man')) skip('man is not installed');
    const manW = (extra: Record<string, string>) => spawnSync('man', ['-w', 'tac'], { encoding: 'utf8', env: { ...env, ...extra } });
    for (const r of [manW({ MANPATH: join(prefix, 'share', 'man') }), manW({ PATH: `${join(prefix, 'bin')}:${env.PATH}` })]) {
      expect(r.status, r.stderr).toBe(0);
      expect(realpathSync(r.stdout.trim())).toBe(realpathSync(join(ROOT, 'man', 'tac.1')));
    }
  });

  it(has('mandoc') ? 'mandoc renders the linked page' : 'mandoc renders the linked page (skipped: mandoc is not installed)', ({ skip }) => {
    if (!has('mandoc')) skip('mandoc is not installed');
    const r = spawnSync('mandoc', ['-T', 'ascii', page], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.replace(/.\x08/g, '')).toMatch(/^NAME\n\s+tac - issue, verify and manage temporary access codes/m);
  });
});
