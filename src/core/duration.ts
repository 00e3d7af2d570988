import { invalid } from './errors.js';

const UNIT_MINUTES: Record<string, number> = { m: 1, h: 60, d: 1440 };
const DURATION_RE = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;

/**
 * Parses a DURATION into whole minutes: `90m`, `8h`, `2d`, combinations such as `1h30m`, or a
 * plain number of minutes.
 */
export function parseDuration(field: string, input: string): number {
  const minutes = toMinutes(input, UNIT_MINUTES.m!);
  if (minutes === undefined) throw invalid(field, `"${truncate(input)}" is not a duration; use e.g. 90m, 8h, 2d or plain minutes`);
  return minutes;
}

/**
 * Parses a number of whole days: `30`, `30d`, or a duration that is whole days (`48h`). Its own
 * hint: a duration's (`90m`) would suggest values a whole-days field refuses.
 */
export function parseDays(field: string, input: string): number {
  const minutes = toMinutes(input, UNIT_MINUTES.d!);
  if (minutes === undefined || minutes % UNIT_MINUTES.d! !== 0) throw invalid(field, `"${truncate(input)}" is not a whole number of days; use e.g. 30 or 30d`);
  return minutes / UNIT_MINUTES.d!;
}

/** Minutes in a DURATION whose plain numbers count `plain` minutes each; undefined when it is none. */
function toMinutes(input: string, plain: number): number | undefined {
  const s = String(input).trim().toLowerCase();
  let minutes: number | undefined;
  if (/^\d+$/.test(s)) {
    minutes = Number(s) * plain;
  } else {
    const m = DURATION_RE.exec(s);
    if (m && s !== '') minutes = Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  }
  return minutes !== undefined && Number.isSafeInteger(minutes) ? minutes : undefined;
}

const TIMEOUT_RE = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * Parses a TIMEOUT (`30s`, `2m`, `1m30s`, `1h`) into milliseconds, from `min` to `max` ms. A unit
 * is required: a plain number is minutes for every other duration flag, seconds would be the
 * natural guess here, and a wrong guess is 60 times off.
 */
export function parseTimeout(field: string, input: string, min: number, max: number): number {
  const s = String(input).trim().toLowerCase();
  const m = s ? TIMEOUT_RE.exec(s) : null;
  const ms = m ? (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000 : NaN;
  if (!Number.isSafeInteger(ms) || ms < min || ms > max) {
    throw invalid(field, `"${truncate(input)}" is not allowed; use a duration with a unit from ${formatSeconds(min / 1000)} to ${formatSeconds(max / 1000)}, e.g. 30s, 2m or 1m30s`);
  }
  return ms;
}

/** 90 -> "1m30s", 3600 -> "1h", 5 -> "5s". */
export function formatSeconds(total: number): string {
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return total === 0 ? '0s' : `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${sec ? `${sec}s` : ''}`;
}

/** Parses a TIME: ISO-8601 (`2026-05-01T09:00Z`) or relative to now (`+2h`, `+30m`, `+1d`). */
export function parseTime(field: string, input: string, now: Date): Date {
  const s = String(input).trim();
  if (s.startsWith('+')) {
    return inRange(field, input, new Date(now.getTime() + parseDuration(field, s.slice(1)) * 60_000));
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const d = new Date(s);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw invalid(field, `"${truncate(input)}" is not a time; use ISO-8601 (2026-05-01T09:00:00Z) or relative (+2h)`);
}

/** Parses `--since`: a duration back from now (`24h`, `7d`) or a TIME. */
export function parseSince(field: string, input: string, now: Date): Date {
  const s = String(input).trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) return parseTime(field, s, now);
  return inRange(field, input, new Date(now.getTime() - parseDuration(field, s) * 60_000));
}

/** A duration can reach past the last date a Date can hold (about 275,000 years away): refuse it. */
function inRange(field: string, input: string, d: Date): Date {
  if (Number.isNaN(d.getTime())) throw invalid(field, `"${truncate(input)}" is too far away`);
  return d;
}

/** 90 -> "1h30m", 2880 -> "2d", 45 -> "45m". */
export function formatMinutes(total: number): string {
  if (total === 0) return '0m';
  const d = Math.floor(total / 1440);
  const h = Math.floor((total % 1440) / 60);
  const m = total % 60;
  return `${d ? `${d}d` : ''}${h ? `${h}h` : ''}${m ? `${m}m` : ''}`;
}

/** Relative description of `to` seen from `from`: "in 1h 5m", "3m ago". */
export function formatRelative(to: Date, from: Date): string {
  const diff = Math.round((to.getTime() - from.getTime()) / 60_000);
  const abs = Math.abs(diff);
  const text = abs < 1 ? 'less than a minute' : formatMinutes(abs).replace(/(\d[dhm])(?=\d)/g, '$1 ');
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/** Keeps user input quoted in errors short and on one line. */
export function truncate(input: unknown, max = 40): string {
  const s = String(input).replace(/[\r\n\t]+/g, ' ');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
