import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type Database from 'better-sqlite3';
import { FakeClock } from '../../src/core/clock.js';
import { hmacHasher, type RandomInt } from '../../src/core/codes.js';
import { TacError, type ErrorCode } from '../../src/core/errors.js';
import { TacService } from '../../src/core/service.js';
import { openDatabase, SqliteStore } from '../../src/store/sqlite/store.js';

export const START = '2026-01-01T00:00:00.000Z';
/** The default alphabet: digits and upper case without 0 1 I L O. */
export const DEFAULT_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

export interface Harness {
  service: TacService;
  store: SqliteStore;
  db: Database.Database;
  clock: FakeClock;
  key: Buffer;
  actor: string;
}

export function makeService(opts: { actor?: string; random?: RandomInt; key?: Buffer; clock?: FakeClock } = {}): Harness {
  const db = openDatabase(':memory:');
  const store = new SqliteStore(db);
  const clock = opts.clock ?? new FakeClock(START);
  const key = opts.key ?? randomBytes(32);
  const actor = opts.actor ?? 'helpdesk-anna';
  const service = new TacService({ store, clock, hasher: hmacHasher(key), actor, random: opts.random });
  return { service, store, db, clock, key, actor };
}

/** A random source that draws `code` from `alphabet` (then falls back to index 0). */
export function scriptedRandom(alphabet: string, ...codes: string[]): RandomInt {
  const indexes = codes.flatMap((c) => [...c].map((ch) => {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`"${ch}" is not in the alphabet`);
    return i;
  }));
  let n = 0;
  return (max) => {
    if (max !== alphabet.length) throw new Error(`unexpected alphabet size ${max}`);
    return n < indexes.length ? indexes[n++]! : 0;
  };
}

/** Runs fn, expects a TacError with the given code, and returns it. */
export function catchTacError(fn: () => unknown, code: ErrorCode): TacError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected a TacError "${code}"`).toBeInstanceOf(TacError);
  const err = caught as TacError;
  expect(err.code).toBe(code);
  return err;
}

/** Every cell of every row of every table, as text. */
export function allStoredCells(db: Database.Database): { table: string; column: string; value: string }[] {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
  const out: { table: string; column: string; value: string }[] = [];
  for (const { name } of tables) {
    for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
      for (const [column, v] of Object.entries(row)) {
        if (v === null || v === undefined) continue;
        out.push({ table: name, column, value: Buffer.isBuffer(v) ? v.toString('latin1') : String(v) });
      }
    }
  }
  return out;
}

/** True when `haystack` holds the code, ignoring case, spaces and dashes (as a typed code would). */
export function containsCode(haystack: string, code: string): boolean {
  const squash = (s: string) => s.replace(/[\s-]+/g, '').toLowerCase();
  return squash(haystack).includes(squash(code));
}

/** How many users the database holds. */
export function usersCount(db: Database.Database): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
}
