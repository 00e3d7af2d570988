/**
 * bin/tac compiles the bundled CLI with V8's code cache, kept in the user's cache dir
 * ($XDG_CACHE_HOME/tac/compile-<hash>.v8). A cache must never change what a command does: a
 * missing, corrupt or stale cache only costs compile time, a rebuilt bundle gets its own file, and
 * TAC_COMPILE_CACHE=off leaves no file behind.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const home = mkdtempSync(join(tmpdir(), 'tac-cache-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function tacIn(bin: string, cacheHome: string, args: string[], extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      XDG_DATA_HOME: join(home, 'data'),
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_CACHE_HOME: cacheHome,
      TAC_KEYCHAIN: 'off',
      CI: '1',
      ...extra,
    },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const cacheFiles = (cacheHome: string) => (existsSync(join(cacheHome, 'tac')) ? readdirSync(join(cacheHome, 'tac')).filter((f) => f.endsWith('.v8')) : []);

describe('compile cache of the real bundle', () => {
  const cacheHome = join(home, 'cache');
  const tac = (args: string[], extra?: Record<string, string>) => tacIn(join(ROOT, 'bin', 'tac'), cacheHome, args, extra);

  it('is written once, private, and reused without being rewritten', () => {
    const first = tac(['policy', 'show', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const files = cacheFiles(cacheHome);
    expect(files).toHaveLength(1);
    const file = join(cacheHome, 'tac', files[0]!);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
    const before = statSync(file);

    const second = tac(['policy', 'show', '--json']);
    expect(second).toEqual(first);
    const after = statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('each command has its own cache file, and earlier ones are kept', () => {
    const r = tac(['users', 'search', 'nobody', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const files = cacheFiles(cacheHome).sort();
    expect(files).toHaveLength(2);
    expect(files.map((f) => f.split('.').at(-2))).toEqual(['policy', 'users']);
  });

  it('a corrupt cache changes nothing but is replaced', () => {
    const file = join(cacheHome, 'tac', cacheFiles(cacheHome).find((f) => f.endsWith('.policy.v8'))!);
    const good = tac(['policy', 'show', '--json']);
    writeFileSync(file, Buffer.from('not a V8 code cache'.repeat(100)));
    const r = tac(['policy', 'show', '--json']);
    expect(r).toEqual(good);
    expect(readFileSync(file).toString()).not.toContain('not a V8 code cache');
  });

  it('TAC_COMPILE_CACHE=off neither reads nor writes one', () => {
    const other = join(home, 'cache-off');
    const r = tac(['policy', 'show', '--json'], { XDG_CACHE_HOME: other, TAC_COMPILE_CACHE: 'off' });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(other)).toBe(false);
  });

  it('an unwritable cache dir is not an error', () => {
    const blocked = join(home, 'blocked');
    writeFileSync(blocked, 'a file where the cache dir would be');
    const r = tac(['policy', 'show', '--json'], { XDG_CACHE_HOME: blocked });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('compile cache across rebuilds (a copy of bin/tac over a stub bundle)', () => {
  const dir = join(home, 'pkg');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
  copyFileSync(join(ROOT, 'bin', 'tac'), join(dir, 'bin', 'tac'));
  copyFileSync(join(ROOT, 'bin', 'package.json'), join(dir, 'bin', 'package.json'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ version: '1.0.0' }));
  const bundle = join(dir, 'dist', 'cli', 'tac.cjs');
  const stub = (answer: string) =>
    writeFileSync(bundle, `exports.main = async () => { process.stdout.write(${JSON.stringify(answer)} + '\\n'); return 0; };\n`);
  const cacheHome = join(home, 'stub-cache');
  const tac = () => tacIn(join(dir, 'bin', 'tac'), cacheHome, ['anything']);

  it('a rebuilt bundle of the same length gets its own cache, runs its own code, and replaces the old cache', () => {
    stub('AAAA');
    expect(tac().stdout).toBe('AAAA\n');
    expect(tac().stdout).toBe('AAAA\n');
    const [before] = cacheFiles(cacheHome);
    stub('BBBB');
    expect(tac().stdout).toBe('BBBB\n');
    expect(tac().stdout).toBe('BBBB\n');
    const after = cacheFiles(cacheHome);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
  });

  it('keeps at most 40 files per build (a typo is a new name too)', () => {
    stub('CCCC');
    expect(tac().stdout).toBe('CCCC\n');
    const [first] = cacheFiles(cacheHome);
    const prefix = first!.replace(/[^.]*\.v8$/, '');
    for (let i = 0; i < 39; i++) writeFileSync(join(cacheHome, 'tac', `${prefix}word${String.fromCharCode(97 + (i % 26))}${i}.v8`), 'x');
    const r = tacIn(join(dir, 'bin', 'tac'), cacheHome, ['another']);
    expect(r).toMatchObject({ code: 0, stdout: 'CCCC\n' });
    expect(cacheFiles(cacheHome)).toHaveLength(40);
    expect(cacheFiles(cacheHome).some((f) => f.endsWith('.another.v8'))).toBe(false);
  });

  it('lends import() to the bundle for ES-module-only packages', () => {
    writeFileSync(
      bundle,
      "exports.main = async () => { const m = await globalThis[Symbol.for('tac.importModule')]('node:path'); process.stdout.write(m.sep + '\\n'); return 0; };\n",
    );
    expect(tac()).toMatchObject({ code: 0, stdout: '/\n' });
  });
});
