import { formatMinutes, formatRelative } from '../core/duration.js';
import type { PolicyView } from '../backends/backend.js';
import type { AuditEvent, IssuedTacView, ListedTac, Tac, UserView } from '../core/types.js';
import { isLockedUntilUnlocked } from '../core/users.js';
import { renderIssuedCode } from '../output/code-display.js';
import { spellCode } from '../output/phonetic.js';
import type { TableSpec } from '../output/fit.js';
import type { Cell } from '../output/table.js';
import type { CommandContext } from './context.js';

/** Shared renderings, so every command shows users, TACs and events the same way. */

export function userState(u: UserView, now: Date): string {
  if (u.disabled) return 'disabled';
  if (u.lockedUntil && Date.parse(u.lockedUntil) > now.getTime()) return 'locked';
  return 'active';
}

/*
 * Tables on a narrow terminal (see output/fit.ts): columns are dropped from the end of `priority`;
 * `shrink` columns may be cut to that width. Ids and times are never cut.
 */

/** Any of username, email or id names a user, so the id comes last; what a desk checks comes first. */
export const USER_TABLE: TableSpec = {
  headers: ['ID', 'USERNAME', 'NAME', 'EMAIL', 'PHONE', 'TYPE', 'STATE'],
  priority: ['USERNAME', 'STATE', 'EMAIL', 'NAME', 'TYPE', 'PHONE', 'ID'],
  shrink: { USERNAME: 16, EMAIL: 16, NAME: 10 },
};
/** TYPE is empty where the backend does not know guests (a provider). */
export const userType = (u: UserView): string | null => (u.guest === null ? null : u.guest ? 'guest' : 'user');
export const userRow = (u: UserView, now: Date): Cell[] => [u.id, u.username, u.name, u.email, u.phone, userType(u), userState(u, now)];

/** The id first and whole: it is what `tac delete` takes. Then whose, in what state, until when. */
export const TAC_TABLE: TableSpec = {
  headers: ['ID', 'USER', 'STATUS', 'STARTS', 'EXPIRES', 'USE', 'USES', 'ISSUED BY'],
  priority: ['ID', 'USER', 'STATUS', 'EXPIRES', 'STARTS', 'USE', 'ISSUED BY', 'USES'],
  shrink: { USER: 12, 'ISSUED BY': 10 },
};
export const tacRow = (t: ListedTac | Tac): Cell[] => [
  t.id,
  'user' in t && t.user ? `${t.user.username}${t.user.guest ? ' (guest)' : ''}` : t.userId,
  t.status,
  t.startsAt,
  t.expiresAt,
  t.oneTime ? 'one-time' : 'multi-use',
  t.useCount,
  t.createdBy,
];

/** The only place a code is printed. JSON for scripts; the bare code when piped; a display on a TTY. */
export function printIssued(ctx: CommandContext, t: IssuedTacView, opts: { spell?: boolean } = {}): void {
  if (ctx.globals.json) ctx.json(t);
  else if (ctx.tty) ctx.print(renderIssuedCode(t, { style: ctx.style, now: ctx.clock.now() }));
  else ctx.print(opts.spell ? `${t.code}\n${spellCode(t.code)}\n` : `${t.code}\n`);
}

export function printUser(ctx: CommandContext, u: UserView): void {
  if (ctx.globals.json) ctx.json(u);
  else ctx.table(USER_TABLE, [userRow(u, ctx.clock.now())]);
}

export function printPolicy(ctx: CommandContext, p: PolicyView): void {
  if (ctx.globals.json) return ctx.json(p);
  const onOff = (b: boolean | undefined) => (b === undefined ? NOT_OFFERED : b ? 'yes' : 'no');
  const minutes = (m: number | undefined) => (m === undefined ? NOT_OFFERED : `${formatMinutes(m)} (${m} min)`);
  const c = p.complexity ?? {};
  ctx.record([
    ['enabled', onOff(p.enabled)],
    ['minTtl', minutes(p.minTtl)],
    ['maxTtl', minutes(p.maxTtl)],
    ['defaultTtl', minutes(p.defaultTtl)],
    ['length', p.length ?? NOT_OFFERED],
    ['numbers', onOff(c.numbers)],
    ['letters', onOff(c.letters)],
    ['specialCharacters', onOff(c.specialCharacters)],
    ['mixedCase', onOff(p.mixedCase)],
    ['excludeAmbiguous', onOff(p.excludeAmbiguous)],
    ['multiUseAllowed', onOff(p.multiUseAllowed)],
    ['oneTimeDefault', onOff(p.oneTimeDefault)],
    ['maxFailedAttempts', p.maxFailedAttempts ?? NOT_OFFERED],
    ['lockoutDuration', minutes(p.lockoutDuration)],
    ['maxConsecutiveFailures', p.maxConsecutiveFailures ?? NOT_OFFERED],
    ['purgeAfterDays', p.purgeAfterDays ?? NOT_OFFERED],
    ['phoneRegion', p.phoneRegion === undefined ? NOT_OFFERED : p.phoneRegion ?? 'none'],
    ['requireAttestation', onOff(p.requireAttestation)],
  ]);
}

/** A setting the backend (an identity provider) does not have. */
const NOT_OFFERED = 'not offered';

/** When, what, how it went and for whom; the event id last. AT may lose its milliseconds ("…"). */
export const AUDIT_TABLE: TableSpec = {
  headers: ['ID', 'AT', 'ACTOR', 'ACTION', 'OUTCOME', 'REASON', 'USER', 'TAC', 'DETAILS'],
  priority: ['AT', 'ACTION', 'OUTCOME', 'USER', 'REASON', 'TAC', 'ACTOR', 'DETAILS', 'ID'],
  shrink: { AT: 20, ACTOR: 10, DETAILS: 20 },
};
export const auditRow = (e: AuditEvent): Cell[] => [
  e.id, e.at, e.actor, e.action, e.outcome, e.reason, e.userId, e.tacId, Object.keys(e.details).length ? JSON.stringify(e.details) : '',
];

export const expiresText = (iso: string, now: Date): string => `${iso} (${formatRelative(new Date(iso), now)})`;

/** When a lock ends: a time, or never by itself (see LOCKED_UNTIL_UNLOCKED). */
export const lockedUntilText = (iso: string, now: Date): string => (isLockedUntilUnlocked(iso) ? UNTIL_UNLOCKED : expiresText(iso, now));
/** The one wording of a hard lock, in users show and in verify. */
export const UNTIL_UNLOCKED = 'until an agent unlocks (tac users unlock)';
