import { invalid, TacError } from '../../core/errors.js';
import type { PolicyPatch } from '../../core/policy.js';
import type { PolicyView } from '../backend.js';
import { unsupported } from '../unsupported.js';

/**
 * The tenant's Temporary Access Pass policy (resources/temporaryaccesspassauthenticationmethodconfiguration.md)
 * mapped onto tac's policy fields, and tac's `policy set` mapped back onto a PATCH body.
 */
export interface EntraPolicy {
  state?: string;
  defaultLifetimeInMinutes?: number;
  defaultLength?: number;
  minimumLifetimeInMinutes?: number;
  maximumLifetimeInMinutes?: number;
  isUsableOnce?: boolean;
}

export const POLICY_PATH = 'v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass';
/** The PATCH body must name its type (temporaryaccesspassauthenticationmethodconfiguration-update.md). */
export const POLICY_TYPE = '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration';

/** Graph's documented bounds: lifetimes 10 to 43,200 minutes (30 days), length 8 to 48. */
export const ENTRA_LIFETIME = { min: 10, max: 43_200 } as const;
export const ENTRA_LENGTH = { min: 8, max: 48 } as const;

/**
 * What `policy show` prints for Entra: the settings Entra has (a field Graph did not return is left
 * out too); complexity, lockout, purge and phone region are not Entra's and are absent. tac asks for
 * one-time passes unless --multi-use (oneTimeDefault); requireAttestation is the profile's.
 */
export function toPolicyView(p: EntraPolicy, requireAttestation: boolean): PolicyView {
  const view: PolicyView = { oneTimeDefault: true, requireAttestation };
  if (typeof p.state === 'string') view.enabled = p.state === 'enabled';
  if (typeof p.minimumLifetimeInMinutes === 'number') view.minTtl = p.minimumLifetimeInMinutes;
  if (typeof p.maximumLifetimeInMinutes === 'number') view.maxTtl = p.maximumLifetimeInMinutes;
  if (typeof p.defaultLifetimeInMinutes === 'number') view.defaultTtl = p.defaultLifetimeInMinutes;
  if (typeof p.defaultLength === 'number') view.length = p.defaultLength;
  if (typeof p.isUsableOnce === 'boolean') view.multiUseAllowed = !p.isUsableOnce;
  return view;
}

/** `policy set` flags with no Entra setting, and where the admin goes instead. */
const NOT_IN_ENTRA: Record<string, [flag: string, instead: string]> = {
  complexity: ['--letters/--special-characters', 'Entra chooses the characters of a pass'],
  mixedCase: ['--mixed-case', 'Entra chooses the characters of a pass'],
  excludeAmbiguous: ['--exclude-ambiguous', 'Entra chooses the characters of a pass'],
  oneTimeDefault: ['--one-time-default', 'tac asks for a one-time pass unless generate --multi-use'],
  maxFailedAttempts: ['--max-failed-attempts', 'Entra applies its own sign-in lockout (Smart Lockout)'],
  lockoutDuration: ['--lockout-duration', 'Entra applies its own sign-in lockout (Smart Lockout)'],
  maxConsecutiveFailures: ['--max-consecutive-failures', 'Entra applies its own sign-in lockout (Smart Lockout)'],
  purgeAfterDays: ['--purge-after', 'Entra removes expired passes itself'],
  phoneRegion: ['--phone-region', 'Entra finds users by id, userPrincipalName or email'],
  requireAttestation: ['--require-attestation', 'use tac config set require-attestation for this profile'],
};

const FLAGS = { minTtl: '--min-ttl', maxTtl: '--max-ttl', defaultTtl: '--default-ttl' } as const;

/**
 * The PATCH body for a tac policy patch, checked before it is sent: every field must exist in Entra,
 * lifetimes 10–43,200 and min ≤ default ≤ max with the tenant's current values, length 8–48.
 */
export function patchBody(patch: PolicyPatch, current: EntraPolicy, shown: PolicyView = {}): Record<string, unknown> {
  for (const [key, value] of Object.entries(patch)) {
    // A `policy show --json` file sent back as it is: what tac itself shows may stay unchanged.
    if ((key === 'oneTimeDefault' || key === 'requireAttestation') && shown[key] === value) continue;
    const missing = NOT_IN_ENTRA[key];
    if (missing) throw unsupported('entra', `setting ${key}`, `tac policy set ${missing[0]}`, missing[1]);
  }
  const body: Record<string, unknown> = { '@odata.type': POLICY_TYPE };
  if (patch.enabled !== undefined) body.state = patch.enabled ? 'enabled' : 'disabled';
  if (patch.multiUseAllowed !== undefined) body.isUsableOnce = !patch.multiUseAllowed;
  if (patch.length !== undefined) {
    if (patch.length < ENTRA_LENGTH.min || patch.length > ENTRA_LENGTH.max) throw invalid('--length', `${patch.length} is out of range; Entra allows ${ENTRA_LENGTH.min} to ${ENTRA_LENGTH.max}`);
    body.defaultLength = patch.length;
  }
  const fields = { minTtl: 'minimumLifetimeInMinutes', maxTtl: 'maximumLifetimeInMinutes', defaultTtl: 'defaultLifetimeInMinutes' } as const;
  for (const [key, field] of Object.entries(fields) as [keyof typeof fields, (typeof fields)[keyof typeof fields]][]) {
    const v = patch[key];
    if (v === undefined) continue;
    if (v < ENTRA_LIFETIME.min || v > ENTRA_LIFETIME.max) throw invalid(FLAGS[key], `${v} minutes is out of range; Entra allows ${ENTRA_LIFETIME.min} to ${ENTRA_LIFETIME.max} minutes (30d)`);
    body[field] = v;
  }
  const min = (body.minimumLifetimeInMinutes ?? current.minimumLifetimeInMinutes) as number;
  const max = (body.maximumLifetimeInMinutes ?? current.maximumLifetimeInMinutes) as number;
  const dflt = (body.defaultLifetimeInMinutes ?? current.defaultLifetimeInMinutes) as number;
  if (min > max) throw new TacError('invalid_value', `--min-ttl: ${min} minutes is above the maximum lifetime (${max} minutes)`, { field: '--min-ttl' });
  if (dflt < min || dflt > max) throw new TacError('invalid_value', `--default-ttl: ${dflt} minutes must be between the minimum and maximum lifetimes (${min} to ${max} minutes)`, { field: '--default-ttl' });
  return body;
}
