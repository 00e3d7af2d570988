import { parseDuration, parseSince, parseTime, parseTimeout, truncate } from '../core/duration.js';
import { invalid } from '../core/errors.js';
import { usageError } from './errors.js';

type Opts = Record<string, unknown>;

/** A flag the command cannot run without: exit 2 naming it. */
export function required(opts: Opts, key: string, flag: string): string {
  const v = opts[key];
  if (typeof v !== 'string' || !v.trim()) throw usageError(`${flag} is required`, flag);
  return v;
}

export function optString(opts: Opts, key: string): string | undefined {
  const v = opts[key];
  return typeof v === 'string' ? v : undefined;
}

export function optInt(opts: Opts, key: string, flag: string, min: number, max: number): number | undefined {
  const v = opts[key];
  if (v === undefined) return undefined;
  const s = String(v).trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw invalid(flag, `"${truncate(s)}" is not allowed; use a whole number from ${min} to ${max}`);
  return n;
}

export function optDuration(opts: Opts, key: string, flag: string): number | undefined {
  const v = opts[key];
  return v === undefined ? undefined : parseDuration(flag, String(v));
}

/** A TIMEOUT with a unit (`30s`), in milliseconds from `min` to `max`. */
export function optTimeout(opts: Opts, key: string, flag: string, min: number, max: number): number | undefined {
  const v = opts[key];
  return v === undefined ? undefined : parseTimeout(flag, String(v), min, max);
}

export function optTime(opts: Opts, key: string, flag: string, now: Date): Date | undefined {
  const v = opts[key];
  return v === undefined ? undefined : parseTime(flag, String(v), now);
}

export function optSince(opts: Opts, key: string, flag: string, now: Date): Date | undefined {
  const v = opts[key];
  return v === undefined ? undefined : parseSince(flag, String(v), now);
}

/** `--one-time` / `--multi-use` are exclusive; neither means the policy default. */
export function oneTimeFlag(opts: Opts): boolean | undefined {
  if (opts.oneTime && opts.multiUse) throw usageError('--one-time and --multi-use cannot be used together', '--multi-use');
  if (opts.multiUse) return false;
  if (opts.oneTime) return true;
  return undefined;
}
