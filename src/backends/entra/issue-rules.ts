import { TacError } from '../../core/errors.js';
import type { IssueInput } from '../../core/types.js';
import { ENTRA_LIFETIME, type EntraPolicy } from './policy.js';

/**
 * What tac checks before asking Graph for a pass, so the agent reads the bounds instead of Graph's
 * generic 400 (exit 5, as the engine's policy refusals): Graph's own 10–43,200 minutes always, and
 * the tenant's policy when the app may read it (`policy` undefined: Graph alone checks).
 */
export function checkIssue(input: IssueInput, policy: EntraPolicy | undefined, now: number): void {
  const ttl = input.ttl;
  if (ttl !== undefined && (ttl < ENTRA_LIFETIME.min || ttl > ENTRA_LIFETIME.max)) {
    throw new TacError('policy_violation', `--ttl: ${ttl} minutes is outside what Entra allows for a Temporary Access Pass: ${ENTRA_LIFETIME.min} to ${ENTRA_LIFETIME.max} minutes`, { field: 'ttl' });
  }
  if (input.startsAt !== undefined && Date.parse(input.startsAt) < now - 60_000) {
    throw new TacError('invalid_value', '--starts-at: must not be in the past', { field: '--starts-at' });
  }
  if (!policy) return;
  if (policy.state !== undefined && policy.state !== 'enabled') {
    throw new TacError('policy_violation', 'the Temporary Access Pass method is disabled in the tenant\'s Authentication methods policy (tac policy set --enable)');
  }
  const { minimumLifetimeInMinutes: min, maximumLifetimeInMinutes: max } = policy;
  if (ttl !== undefined && typeof min === 'number' && typeof max === 'number' && (ttl < min || ttl > max)) {
    throw new TacError('policy_violation', `--ttl: ${ttl} minutes is outside the tenant's Temporary Access Pass policy: ${min} to ${max} minutes`, {
      field: 'ttl', details: { minTtl: min, maxTtl: max },
    });
  }
  if (input.oneTime === false && policy.isUsableOnce === true) {
    throw new TacError('policy_violation', '--multi-use: the tenant\'s Temporary Access Pass policy allows one-time passes only (tac policy set --multi-use-allowed)');
  }
}
