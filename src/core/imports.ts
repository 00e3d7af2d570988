import { invalid, TacError } from './errors.js';
import type { GuestInput, NewUserInput } from './types.js';
import { normalizeNewUser } from './users.js';

/** CSV layouts, checked before any row is read so a typo in a header is caught at once. */
export const USER_CSV = { required: ['username', 'email'], optional: ['phone', 'name', 'guest'] } as const;
export const GUEST_CSV = { required: ['email'], optional: ['name', 'username', 'phone'] } as const;

export function checkHeader(columns: string[], layout: { required: readonly string[]; optional: readonly string[] }): void {
  const allowed = [...layout.required, ...layout.optional];
  const seen = new Set<string>();
  for (const c of columns) {
    if (!allowed.includes(c)) throw invalid('line 1', `unknown column "${c}"; allowed columns: ${allowed.join(', ')}`);
    if (seen.has(c)) throw invalid('line 1', `column "${c}" appears twice`);
    seen.add(c);
  }
  const missing = layout.required.filter((c) => !seen.has(c));
  if (missing.length) throw invalid('line 1', `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (header: ${allowed.join(',')})`);
}

const BOOL: Record<string, boolean> = { '': false, true: true, false: false, yes: true, no: false, '1': true, '0': false, y: true, n: false };

function parseBool(field: string, v: string | undefined): boolean {
  const b = BOOL[(v ?? '').trim().toLowerCase()];
  if (b === undefined) throw invalid(field, `"${v}" is not true/false (also yes/no, 1/0)`);
  return b;
}

export function userFromCsv(rec: Record<string, string>, line: number): NewUserInput {
  const p = `line ${line}: `;
  const input: NewUserInput = { username: rec.username ?? '', email: rec.email ?? '', phone: rec.phone || null, name: rec.name || null, guest: parseBool(`${p}guest`, rec.guest) };
  return normalizeNewUser(input, p);
}

export function guestFromCsv(rec: Record<string, string>, line: number): GuestInput {
  const n = normalizeNewUser({ email: rec.email ?? '', username: rec.username || undefined, phone: rec.phone || null, name: rec.name || null, guest: true }, `line ${line}: `);
  return { email: n.email, username: n.username, phone: n.phone, name: n.name };
}

/** A value that may repeat an earlier row's: its hash matched; `DuplicateTracker.confirm` decides. */
export interface DuplicateCandidate {
  line: number;
  field: string;
  value: string;
  firstLine: number;
}

const INITIAL_SLOTS = 1024;

/**
 * Tracks what a file has already used, so two rows claiming one email, username or phone are
 * reported with both line numbers before anything is written. Values compare lower-cased.
 *
 * Compact, because it holds every row of a file: each distinct value costs a 64-bit hash of the
 * field and value plus its line number, in typed arrays off the JS heap (24 bytes at most, about
 * 6 MB for 100,000 rows, where strings in a Map took over 60 MB of heap). A matching hash is only a
 * candidate: `confirm` compares candidates with the values on the earlier lines, so a hash collision
 * can never report a false duplicate.
 */
export class DuplicateTracker {
  private hi = new Uint32Array(INITIAL_SLOTS);
  private lo = new Uint32Array(INITIAL_SLOTS);
  /** Line of the row that added the entry; 0 marks a free slot (line 1 is the header). */
  private lines = new Uint32Array(INITIAL_SLOTS);
  private used = 0;
  readonly candidates: DuplicateCandidate[] = [];

  /** Registers a row's values; returns false when one of them may repeat an earlier row's (see `candidates`). */
  check(line: number, fields: Record<string, string | null | undefined>): boolean {
    let clean = true;
    for (const field in fields) {
      const value = fields[field];
      if (!value) continue;
      const same = this.add(field, value.toLowerCase(), line);
      if (same === undefined) continue;
      for (const firstLine of same) this.candidates.push({ line, field, value, firstLine });
      clean = false;
    }
    return clean;
  }

  /** The earlier lines whose values `confirm` needs. */
  linesToConfirm(): Set<number> {
    return new Set(this.candidates.map((c) => c.firstLine));
  }

  /**
   * The real duplicates among the candidates, one error per line (its first duplicated field), given
   * the values on the earlier lines; and the lines whose candidates were all hash collisions.
   */
  confirm(earlier: Map<number, Record<string, string | null | undefined>>): { errors: { line: number; error: TacError }[]; cleared: number[] } {
    const errors = new Map<number, TacError>();
    const suspect = new Set<number>();
    for (const c of this.candidates) {
      suspect.add(c.line);
      if (errors.has(c.line) || earlier.get(c.firstLine)?.[c.field]?.toLowerCase() !== c.value.toLowerCase()) continue;
      errors.set(c.line, new TacError('invalid_value', `line ${c.line}: ${c.field}: "${c.value}" already appears on line ${c.firstLine}`, { field: `line ${c.line}` }));
    }
    return {
      errors: [...errors].map(([line, error]) => ({ line, error })),
      cleared: [...suspect].filter((line) => !errors.has(line)),
    };
  }

  /**
   * Inserts the hash of the field and value and returns the earlier lines with the same hash
   * (almost always none: undefined).
   * Inserted even then, so a value that only collided is still found by the rows that repeat it.
   */
  private add(field: string, value: string, line: number): number[] | undefined {
    hash64(field, value);
    const h = hashed.hi;
    const l = hashed.lo;
    const mask = this.lines.length - 1;
    let same: number[] | undefined;
    let i = l & mask;
    while (this.lines[i] !== 0) {
      if (this.hi[i] === h && this.lo[i] === l) (same ??= []).push(this.lines[i]!);
      i = (i + 1) & mask;
    }
    this.hi[i] = h;
    this.lo[i] = l;
    this.lines[i] = line;
    if (++this.used * 2 > this.lines.length) this.grow();
    return same;
  }

  private grow(): void {
    const { hi, lo, lines } = this;
    this.hi = new Uint32Array(hi.length * 2);
    this.lo = new Uint32Array(hi.length * 2);
    this.lines = new Uint32Array(hi.length * 2);
    const mask = this.lines.length - 1;
    for (let j = 0; j < lines.length; j++) {
      if (lines[j] === 0) continue;
      let i = lo[j]! & mask;
      while (this.lines[i] !== 0) i = (i + 1) & mask;
      this.hi[i] = hi[j]!;
      this.lo[i] = lo[j]!;
      this.lines[i] = lines[j]!;
    }
  }
}

/** The result of hash64, in one reused object (no array per value). */
const hashed = { hi: 0, lo: 0 };

/**
 * Two 32-bit lanes of cyrb53 (a fast, well-mixed non-cryptographic string hash) over the field, a
 * NUL and the value, without joining them: 64 bits, into `hashed`.
 */
function hash64(field: string, value: string): void {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i <= field.length + value.length; i++) {
    const ch = i < field.length ? field.charCodeAt(i) : i === field.length ? 0 : value.charCodeAt(i - field.length - 1);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  hashed.hi = h2 >>> 0;
  hashed.lo = h1 >>> 0;
}
