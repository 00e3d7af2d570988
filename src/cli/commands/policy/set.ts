import { readFileSync } from 'node:fs';
import { invalid } from '../../../core/errors.js';
import { checkPatchShape, type PolicyPatch } from '../../../core/policy.js';
import type { Handler } from '../../spec.js';
import { usageError } from '../../errors.js';
import { optDuration, optInt, optString } from '../../parse.js';
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
  set('minTtl', optDuration(opts, 'minTtl', '--min-ttl'));
  set('maxTtl', optDuration(opts, 'maxTtl', '--max-ttl'));
  set('defaultTtl', optDuration(opts, 'defaultTtl', '--default-ttl'));
  set('length', optInt(opts, 'length', '--length', 0, 1_000_000));
  set('maxFailedAttempts', optInt(opts, 'maxFailedAttempts', '--max-failed-attempts', 0, 1_000_000));
  set('lockoutDuration', optDuration(opts, 'lockoutDuration', '--lockout-duration'));
  const region = optString(opts, 'phoneRegion');
  if (region !== undefined) patch.phoneRegion = region.trim().toLowerCase() === 'none' ? null : region.trim();
  set('maxConsecutiveFailures', optInt(opts, 'maxConsecutiveFailures', '--max-consecutive-failures', 0, 1_000_000));
  const purge = optDuration(opts, 'purgeAfter', '--purge-after', 'd');
  if (purge !== undefined) {
    if (purge % 1440 !== 0) throw invalid('--purge-after', 'must be whole days (e.g. 30d or 30)');
    patch.purgeAfterDays = purge / 1440;
  }
  for (const [flag, key] of [['mixedCase', 'mixedCase'], ['excludeAmbiguous', 'excludeAmbiguous'], ['multiUseAllowed', 'multiUseAllowed'], ['oneTimeDefault', 'oneTimeDefault'], ['requireAttestation', 'requireAttestation']] as const) {
    if (typeof opts[flag] === 'boolean') patch[key] = opts[flag] as boolean;
  }
  if (typeof opts.letters === 'boolean') complexity.letters = opts.letters;
  if (typeof opts.specialCharacters === 'boolean') complexity.specialCharacters = opts.specialCharacters;
  if (Object.keys(complexity).length) patch.complexity = complexity;
  return patch;
}

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
