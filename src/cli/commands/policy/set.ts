import { readFileSync } from 'node:fs';
import { invalid } from '../../../core/errors.js';
import { parseDays, parseDuration, truncate } from '../../../core/duration.js';
import { checkPatchShape, POLICY_RANGES, rangeText, type PolicyPatch } from '../../../core/policy.js';
import type { Handler } from '../../spec.js';
import { usageError } from '../../errors.js';
import { optString } from '../../parse.js';
import { printPolicy } from '../../present.js';

/** Flags with a value map to policy fields; toggles arrive from commander as true/false/undefined. */
function patchFromFlags(opts: Record<string, unknown>): PolicyPatch {
  const patch: PolicyPatch = {};
  const complexity: NonNullable<PolicyPatch['complexity']> = {};
  if (opts.enable && opts.disable) throw usageError('--enable and --disable cannot be used together', '--disable');
  if (opts.enable) patch.enabled = true;
  if (opts.disable) patch.enabled = false;
  const set = <K extends keyof PolicyPatch>(k: K, v: PolicyPatch[K] | undefined) => {
    if (v !== undefined) patch[k] = v;
  };
  set('minTtl', ranged(opts, 'minTtl', '--min-ttl', parseDuration));
  set('maxTtl', ranged(opts, 'maxTtl', '--max-ttl', parseDuration));
  set('defaultTtl', ranged(opts, 'defaultTtl', '--default-ttl', parseDuration));
  set('length', ranged(opts, 'length', '--length', parseWhole));
  set('maxFailedAttempts', ranged(opts, 'maxFailedAttempts', '--max-failed-attempts', parseWhole));
  set('lockoutDuration', ranged(opts, 'lockoutDuration', '--lockout-duration', parseDuration));
  set('maxConsecutiveFailures', ranged(opts, 'maxConsecutiveFailures', '--max-consecutive-failures', parseWhole));
  const region = optString(opts, 'phoneRegion');
  if (region !== undefined) patch.phoneRegion = region.trim().toLowerCase() === 'none' ? null : region.trim();
  set('purgeAfterDays', ranged(opts, 'purgeAfter', '--purge-after', parseDays, 'purgeAfterDays'));
  for (const [flag, key] of [['mixedCase', 'mixedCase'], ['excludeAmbiguous', 'excludeAmbiguous'], ['multiUseAllowed', 'multiUseAllowed'], ['oneTimeDefault', 'oneTimeDefault'], ['requireAttestation', 'requireAttestation']] as const) {
    if (typeof opts[flag] === 'boolean') patch[key] = opts[flag] as boolean;
  }
  if (typeof opts.letters === 'boolean') complexity.letters = opts.letters;
  if (typeof opts.specialCharacters === 'boolean') complexity.specialCharacters = opts.specialCharacters;
  if (Object.keys(complexity).length) patch.complexity = complexity;
  return patch;
}

/**
 * A flag's value, parsed, within its field's range: refused here, naming the flag and the range
 * validatePolicy would name (POLICY_RANGES), rather than as the field after a round trip.
 */
function ranged(opts: Record<string, unknown>, key: string, flag: string, parse: (flag: string, input: string) => number, field = key as keyof typeof POLICY_RANGES): number | undefined {
  const v = opts[key];
  if (v === undefined) return undefined;
  const n = parse(flag, String(v));
  const r = POLICY_RANGES[field];
  if (n < r.min || n > r.max) throw invalid(flag, `"${truncate(String(v))}" is out of range; allowed: ${rangeText(r)}`);
  return n;
}

const parseWhole = (flag: string, input: string): number => {
  const n = /^\d+$/.test(input.trim()) ? Number(input.trim()) : NaN;
  if (!Number.isSafeInteger(n)) throw invalid(flag, `"${truncate(input)}" is not a whole number`);
  return n;
};

function patchFromFile(file: string): PolicyPatch {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw invalid('--from-file', `cannot read ${file}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalid('--from-file', `${file} is not valid JSON (${(e as Error).message})`);
  }
  return checkPatchShape(json, '--from-file');
}

export const run: Handler = async (ctx, { opts }) => {
  const file = optString(opts, 'fromFile');
  const fromFlags = patchFromFlags(opts);
  if (file && Object.keys(fromFlags).length) throw usageError('--from-file cannot be combined with other policy flags', '--from-file');
  const patch = file ? patchFromFile(file) : fromFlags;
  if (!Object.keys(patch).length) throw usageError('nothing to change: give at least one policy flag or --from-file (see tac policy set --help)');
  const policy = await (await ctx.backend()).updatePolicy(patch);
  printPolicy(ctx, policy);
  if (!ctx.globals.json) ctx.success('Policy updated.');
};
