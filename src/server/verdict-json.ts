import type { Verdict } from '../core/types.js';
import { REVOKE_REASONS, TAC_STATUS, VERIFY_REASONS } from './schemas.js';

/**
 * The verify response (schemas.ts Verdict) written by hand: the route every relying app calls on
 * each sign-in. The schema serializer (fast-json-stringify) decides which branch of Verdict's oneOf
 * a value is by running Ajv over it, date-time formats included, before writing it: ~10% of a
 * verify's CPU in the profile (see the commit message).
 *
 * The same JSON, byte for byte: fields in the schema's order, strings as JSON.stringify writes them
 * (which fast-json-stringify's escaping equals), integers as `'' + n`. Only for a value the schema's
 * first matching branch accepts as it is: every field of its declared type, no other field, enums
 * and times valid. For anything else it returns undefined and the caller uses the schema
 * serializer, so what that would answer (or refuse) stays exactly as it was. Checked against the
 * schema serializer in test/server/verdict-json.test.ts.
 */
export function verdictJson(v: Verdict): string | undefined {
  if (!isPlain(v)) return undefined;
  if (v.valid === true) {
    if (!onlyKeys(v, VALID_KEYS)) return undefined;
    const user = userJson(v.user);
    const tac = user === undefined ? undefined : tacJson(v.tac);
    return tac === undefined ? undefined : `{"valid":true,"user":${user},"tac":${tac}}`;
  }
  if (v.valid !== false || !VERIFY_REASON_SET.has(v.reason)) return undefined;
  const { lockedUntil } = v;
  if (!onlyKeys(v, REFUSED_KEYS)) return undefined;
  if (lockedUntil === undefined) return `{"valid":false,"reason":"${v.reason}"}`;
  if (!isTime(lockedUntil)) return undefined;
  return `{"valid":false,"reason":"${v.reason}","lockedUntil":"${lockedUntil}"}`;
}

const VERIFY_REASON_SET = new Set<unknown>(VERIFY_REASONS);
const TAC_STATUS_SET = new Set<unknown>(TAC_STATUS);
const REVOKE_REASON_SET = new Set<unknown>([...REVOKE_REASONS, null]);
const VALID_KEYS = new Set(['valid', 'user', 'tac']);
const REFUSED_KEYS = new Set(['valid', 'reason', 'lockedUntil']);
const USER_KEYS = new Set(['id', 'username', 'email', 'name', 'guest']);
const TAC_KEYS = new Set(['id', 'userId', 'status', 'createdAt', 'startsAt', 'expiresAt', 'oneTime', 'useCount', 'lastUsedAt', 'revokedAt', 'revokedReason', 'reason', 'createdBy']);

type Obj = Record<string, unknown>;

function userJson(u: unknown): string | undefined {
  if (!isPlain(u) || !onlyKeys(u, USER_KEYS)) return undefined;
  const { id, username, email, name, guest } = u;
  if (typeof id !== 'string' || typeof username !== 'string' || typeof email !== 'string' || !isStrOrNull(name) || typeof guest !== 'boolean') return undefined;
  return `{"id":${str(id)},"username":${str(username)},"email":${str(email)},"name":${name === null ? 'null' : str(name)},"guest":${guest}}`;
}

function tacJson(t: unknown): string | undefined {
  if (!isPlain(t) || !onlyKeys(t, TAC_KEYS)) return undefined;
  const { id, userId, status, createdAt, startsAt, expiresAt, oneTime, useCount, lastUsedAt, revokedAt, revokedReason, reason, createdBy } = t;
  if (typeof id !== 'string' || typeof userId !== 'string' || !TAC_STATUS_SET.has(status) || !isTime(createdAt) || !isTime(startsAt)
    || !isTime(expiresAt) || typeof oneTime !== 'boolean' || !Number.isInteger(useCount) || !isTimeOrNull(lastUsedAt)
    || !isTimeOrNull(revokedAt) || !REVOKE_REASON_SET.has(revokedReason) || !isStrOrNull(reason) || typeof createdBy !== 'string') return undefined;
  // Statuses, revoke reasons and checked times hold no character JSON escapes: written as they are.
  return `{"id":${str(id)},"userId":${str(userId)},"status":"${status as string}","createdAt":"${createdAt}","startsAt":"${startsAt}",`
    + `"expiresAt":"${expiresAt}","oneTime":${oneTime},"useCount":${'' + (useCount as number)},`
    + `"lastUsedAt":${lastUsedAt === null ? 'null' : `"${lastUsedAt}"`},"revokedAt":${revokedAt === null ? 'null' : `"${revokedAt}"`},`
    + `"revokedReason":${revokedReason === null ? 'null' : `"${revokedReason as string}"`},"reason":${reason === null ? 'null' : str(reason)},"createdBy":${str(createdBy)}}`;
}

const str = (s: string): string => JSON.stringify(s);
const isStrOrNull = (x: unknown): x is string | null => x === null || typeof x === 'string';

/** A plain object: no toJSON (the schema serializer would call it) and not an array. */
function isPlain(x: unknown): x is Obj & Verdict {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && typeof (x as Obj).toJSON !== 'function';
}

/** No property but the schema's (additionalProperties: false), seen as Ajv sees them: for…in. */
function onlyKeys(o: object, keys: ReadonlySet<string>): boolean {
  for (const k in o) if (!keys.has(k)) return false;
  return true;
}

/**
 * A time as the core writes it (Date.toISOString: `2026-01-02T03:04:05.678Z`) on a real calendar
 * day: what the schema's date-time format accepts, in the one form the core produces. Any other
 * form that format may accept (offsets, leap seconds, other precisions) falls back to the schema
 * serializer. A regular expression, not a Date round trip: ~0.15 µs against ~1.2 µs.
 */
function isTime(x: unknown): x is string {
  if (typeof x !== 'string' || x.length !== 24 || !ISO_TIME.test(x)) return false;
  const year = +x.slice(0, 4);
  const month = +x.slice(5, 7);
  const day = +x.slice(8, 10);
  return day <= DAYS_IN_MONTH[month]! || (month === 2 && day === 29 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0));
}

const ISO_TIME = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const isTimeOrNull = (x: unknown): x is string | null => x === null || isTime(x);
