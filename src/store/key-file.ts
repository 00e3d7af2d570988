import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { TacError } from '../core/errors.js';

/**
 * Loads the HMAC key, creating it (32 random bytes, hex, mode 0600) on first use. The key is written
 * to a private temp file and hard-linked into place, which fails if the key exists: two processes
 * starting at once agree on one key and neither can read a half-written file.
 */
export function loadOrCreateKey(path: string): Buffer {
  try {
    return parseKey(path, readFileSync(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
  return parseKey(path, readFileSync(path, 'utf8'));
}

function parseKey(path: string, text: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new TacError('key_mismatch', `the hashing key file ${path} is damaged (expected 64 hex characters)`);
  return Buffer.from(hex, 'hex');
}
