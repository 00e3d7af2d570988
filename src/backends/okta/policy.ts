import { invalid, TacError } from '../../core/errors.js';
import type { PolicyPatch } from '../../core/policy.js';
import type { PolicyView } from '../backend.js';
import { unsupported } from '../unsupported.js';
import type { TacAuthenticator, TacConfiguration } from './tacs.js';

/*
 * tac's policy on Okta is the `tac` authenticator's provider.configuration (seed guide; spec
 * AuthenticatorKeyTac): minTtl, maxTtl, defaultTtl (minutes, 10 to 14,400), length (8 to 64),
 * complexity {numbers (always true), letters, specialCharacters}, multiUseAllowed. `enabled` is the
 * authenticator's status (ACTIVE). Everything else tac's engine has, Okta does not: left out.
 */

export const TTL_RANGE = { min: 10, max: 14_400 } as const;
export const LENGTH_RANGE = { min: 8, max: 64 } as const;

/**
 * The settings Okta has; the others are left out (shown as not offered), never invented. Two are
 * this desk's tac rather than Okta's, shown as on Entra: TACs are one-time unless --multi-use
 * (oneTimeDefault), and requireAttestation is the profile's.
 */
export function toPolicyView(a: TacAuthenticator, requireAttestation: boolean): PolicyView {
  const c = a.provider?.configuration ?? {};
  const view: PolicyView = { oneTimeDefault: true, requireAttestation };
  if (a.status !== undefined) view.enabled = a.status === 'ACTIVE';
  for (const k of ['minTtl', 'maxTtl', 'defaultTtl', 'length'] as const) if (typeof c[k] === 'number') view[k] = c[k];
  if (c.complexity) {
    view.complexity = {};
    for (const k of ['numbers', 'letters', 'specialCharacters'] as const) if (typeof c.complexity[k] === 'boolean') view.complexity[k] = c.complexity[k];
  }
  if (typeof c.multiUseAllowed === 'boolean') view.multiUseAllowed = c.multiUseAllowed;
  return view;
}

/** Policy fields Okta has no setting for, with the flag that sets each, for the one-line refusal. */
const NOT_OFFERED: Record<string, string> = {
  enabled: '--enable/--disable', mixedCase: '--mixed-case', excludeAmbiguous: '--exclude-ambiguous', oneTimeDefault: '--one-time-default',
  maxFailedAttempts: '--max-failed-attempts', lockoutDuration: '--lockout-duration', maxConsecutiveFailures: '--max-consecutive-failures',
  phoneRegion: '--phone-region', purgeAfterDays: '--purge-after', requireAttestation: '--require-attestation',
};
const INSTEAD: Record<string, string> = {
  enabled: 'activate or deactivate the Temporary Access Code authenticator in the Okta Admin Console (Security > Authenticators)',
  requireAttestation: 'use tac config set require-attestation (a profile setting)',
};

/**
 * The authenticator with the patch applied, checked as Okta documents it before any PUT (one
 * line naming the field and what is allowed); a field Okta lacks is refused as not offered.
 */
export function applyPatch(a: TacAuthenticator, patch: PolicyPatch, requireAttestation: boolean): TacAuthenticator {
  // What policy show prints may be given back (policy show --json > p.json; policy set --from-file p.json).
  const shown = toPolicyView(a, requireAttestation);
  for (const field of Object.keys(patch)) {
    const key = field as keyof PolicyPatch;
    if (key !== 'complexity' && shown[key] !== undefined && shown[key] === patch[key]) continue;
    const flag = NOT_OFFERED[field];
    if (flag) throw unsupported('okta', `setting ${field}`, `tac policy set ${flag}`, INSTEAD[field] ?? 'Okta\'s TAC authenticator has no such setting');
  }
  const c: TacConfiguration = { ...(a.provider?.configuration ?? {}) };
  const { complexity, ...rest } = patch;
  for (const k of ['minTtl', 'maxTtl', 'defaultTtl', 'length', 'multiUseAllowed'] as const) {
    if (rest[k] !== undefined) (c as Record<string, unknown>)[k] = rest[k];
  }
  if (complexity) {
    if (complexity.numbers === false) throw invalid('--no-numbers', 'Okta\'s TAC always has numbers (complexity.numbers cannot be false)');
    c.complexity = { ...c.complexity, ...complexity };
  }
  checkConfiguration(c);
  return { ...a, provider: { ...a.provider, configuration: c } };
}

const FLAGS = { minTtl: '--min-ttl', maxTtl: '--max-ttl', defaultTtl: '--default-ttl', length: '--length' } as const;

export function checkConfiguration(c: TacConfiguration): void {
  const inRange = (k: keyof typeof FLAGS, r: { min: number; max: number }, unit: string) => {
    const v = c[k];
    if (v !== undefined && (!Number.isInteger(v) || v < r.min || v > r.max)) throw invalid(FLAGS[k], `${v}${unit} is out of okta's range; allowed: ${r.min} to ${r.max}${unit}`);
  };
  inRange('minTtl', TTL_RANGE, ' minutes');
  inRange('maxTtl', TTL_RANGE, ' minutes');
  inRange('defaultTtl', TTL_RANGE, ' minutes');
  inRange('length', LENGTH_RANGE, '');
  const { minTtl, maxTtl, defaultTtl } = c;
  if (minTtl !== undefined && maxTtl !== undefined && minTtl >= maxTtl) {
    throw new TacError('invalid_value', `--min-ttl: okta needs minTtl (${minTtl}) below maxTtl (${maxTtl}) minutes`, { field: '--min-ttl' });
  }
  if (defaultTtl !== undefined && ((minTtl !== undefined && defaultTtl < minTtl) || (maxTtl !== undefined && defaultTtl > maxTtl))) {
    throw new TacError('invalid_value', `--default-ttl: ${defaultTtl} minutes is outside minTtl to maxTtl (${minTtl ?? '?'} to ${maxTtl ?? '?'} minutes)`, { field: '--default-ttl' });
  }
}
