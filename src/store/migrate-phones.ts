import type Database from 'better-sqlite3';
import { TacError } from '../core/errors.js';
import { canonicalPhone, isPhoneRegion } from '../core/phone.js';

/** What a code migration may read besides the database. */
export interface MigrationContext {
  /** TAC_PHONE_REGION: the region of stored phone numbers that have no country code. */
  phoneRegion?: string;
}

export type PhoneRow = { id: string; username: string; phone: string };
const MAX_NAMED = 5;
const named = (rows: string[]) => `${rows.slice(0, MAX_NAMED).join('; ')}${rows.length > MAX_NAMED ? `; and ${rows.length - MAX_NAMED} more` : ''}`;

/**
 * Migration 6: every stored phone number to its canonical E.164 form, so `15551234567` and
 * `+15551234567` can no longer be two users. Refuses (nothing changes, the database stays at the
 * old version) when a number cannot be made canonical or two users' numbers turn out to be one,
 * naming the rows, so an operator can fix them: set TAC_PHONE_REGION for numbers stored without a
 * country code (it also becomes the policy's phoneRegion), or correct the rows with an older tac.
 */
export function canonicalizePhones(db: Database.Database, ctx: MigrationContext): void {
  const rows = db.prepare('SELECT id, username, phone FROM users WHERE phone IS NOT NULL ORDER BY id').all() as PhoneRow[];
  const { updates, region } = planPhones(rows, ctx);
  // Two passes would be needed if a canonical value equalled another row's old value; the unique
  // index is checked per statement, so clear first, then set.
  const clear = db.prepare('UPDATE users SET phone = NULL WHERE id = ?');
  const set = db.prepare('UPDATE users SET phone = ? WHERE id = ?');
  for (const [, id] of updates) clear.run(id);
  for (const [e164, id] of updates) set.run(e164, id);
  if (region) recordRegion(db, region);
}

/**
 * What migration 6 changes, on any engine: the [canonical number, user id] pairs to write, and the
 * region to record in the policy. Throws (naming the rows) when it must refuse.
 */
export function planPhones(rows: readonly PhoneRow[], ctx: MigrationContext): { updates: [string, string][]; region: string | null } {
  const region = ctx.phoneRegion?.trim().toUpperCase() || null;
  if (region && !isPhoneRegion(region)) {
    throw new TacError('usage', `TAC_PHONE_REGION: "${region.slice(0, 20)}" is not a region with phone numbering rules; use a two-letter ISO 3166 code such as US, GB or DE`);
  }
  const bad: string[] = [];
  const byPhone = new Map<string, PhoneRow[]>();
  const updates: [string, string][] = [];
  for (const r of rows) {
    const c = canonicalPhone(r.phone, region);
    if (!c.ok) {
      bad.push(`${r.id} (${r.username}) "${r.phone}" ${c.brief}`);
      continue;
    }
    byPhone.set(c.e164, [...(byPhone.get(c.e164) ?? []), r]);
    if (c.e164 !== r.phone) updates.push([c.e164, r.id]);
  }
  const fix = 'nothing was changed';
  if (bad.length) {
    const hint = region ? '' : '; if they are national numbers, set TAC_PHONE_REGION to their country (e.g. TAC_PHONE_REGION=US) and run again';
    throw new TacError('internal', `cannot upgrade the database to canonical phone numbers (${fix}): ${bad.length} cannot be read: ${named(bad)}${hint}`);
  }
  const clashes = [...byPhone].filter(([, rs]) => rs.length > 1).map(([e164, rs]) => `${e164}: ${rs.map((r) => `${r.id} (${r.username}) "${r.phone}"`).join(' and ')}`);
  if (clashes.length) {
    throw new TacError('internal', `cannot upgrade the database to canonical phone numbers (${fix}): ${clashes.length} number(s) belong to two users: ${named(clashes)}; change or remove one of each with an older tac first`);
  }
  return { updates, region };
}

/** The policy JSON with `region` as its phoneRegion unless it has one (undefined: nothing to write). */
export function withRegion(policyJson: string | undefined, region: string): string | undefined {
  const policy = policyJson ? (JSON.parse(policyJson) as Record<string, unknown>) : {};
  return policy.phoneRegion ? undefined : JSON.stringify({ ...policy, phoneRegion: region });
}

/** The region the stored numbers were read in becomes the policy's, so new input reads the same. */
function recordRegion(db: Database.Database, region: string): void {
  const row = db.prepare('SELECT json FROM policy WHERE id = 1').get() as { json: string } | undefined;
  const json = withRegion(row?.json, region);
  if (json) db.prepare('INSERT INTO policy (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json').run(json);
}
