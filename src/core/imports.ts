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

/**
 * Tracks what a file has already used, so two rows claiming one email, username or phone are
 * reported with both line numbers before anything is written. Values are kept lower-cased.
 */
export class DuplicateTracker {
  private readonly seen = new Map<string, number>();

  check(line: number, fields: Record<string, string | null | undefined>): void {
    for (const [field, value] of Object.entries(fields)) {
      if (!value) continue;
      const key = `${field}\u0000${value.toLowerCase()}`;
      const first = this.seen.get(key);
      if (first !== undefined) throw new TacError('invalid_value', `line ${line}: ${field}: "${value}" already appears on line ${first}`, { field: `line ${line}` });
      this.seen.set(key, line);
    }
  }
}
