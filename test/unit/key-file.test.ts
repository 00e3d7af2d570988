import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateKey } from '../../src/store/key-file.js';
import { catchTacError } from './helpers.js';

describe('loadOrCreateKey', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tac-key-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a 32-byte key file with mode 0600, in a new private directory', () => {
    const path = join(dir, 'config', 'tac', 'hmac.key');
    const key = loadOrCreateKey(path);
    expect(key).toBeInstanceOf(Buffer);
    expect(key).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'config', 'tac')).mode & 0o077).toBe(0);
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/^[0-9a-f]{64}\n$/);
    expect(Buffer.from(text.trim(), 'hex').equals(key)).toBe(true);
    // no temp file left behind
    expect(readdirSync(join(dir, 'config', 'tac'))).toEqual(['hmac.key']);
  });

  it('loads the same key the second time, and different files hold different keys', () => {
    const path = join(dir, 'hmac.key');
    const a = loadOrCreateKey(path);
    const b = loadOrCreateKey(path);
    expect(b.equals(a)).toBe(true);
    expect(loadOrCreateKey(join(dir, 'other.key')).equals(a)).toBe(false);
  });

  it('reads an existing key, upper case and surrounding whitespace allowed', () => {
    const path = join(dir, 'hmac.key');
    writeFileSync(path, `  ${'AB'.repeat(32)}\r\n`, { mode: 0o600 });
    expect(loadOrCreateKey(path).equals(Buffer.alloc(32, 0xab))).toBe(true);
  });

  it.each([
    ['garbage', 'this is not a key\n'],
    ['too short', `${'ab'.repeat(31)}\n`],
    ['too long', `${'ab'.repeat(33)}\n`],
    ['non-hex', `${'zz'.repeat(32)}\n`],
    ['empty', ''],
  ])('refuses a damaged key file (%s) and leaves it alone', (_name, content) => {
    const path = join(dir, 'hmac.key');
    writeFileSync(path, content, { mode: 0o600 });
    const err = catchTacError(() => loadOrCreateKey(path), 'key_mismatch');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/damaged/);
    expect(readFileSync(path, 'utf8')).toBe(content);
  });

  it('passes other file errors through', () => {
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    expect(() => loadOrCreateKey(path)).toThrow(/EISDIR|illegal operation/i);
  });
});
