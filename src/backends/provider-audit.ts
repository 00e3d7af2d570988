import { TacError } from '../core/errors.js';
import { VERIFICATION_METHODS, type IssueInput } from '../core/types.js';
import type { AuditRow } from './audit-trail.js';
import type { ProviderOptions } from './providers.js';

/** As the engine's policy does: a provider's code is refused until the agent says how identity was checked. */
export function checkAttestation(required: boolean, input: IssueInput): void {
  if (required && input.verifiedBy === undefined) {
    throw new TacError('invalid_value', `--verified-by: the profile requires stating how the caller's identity was verified: one of ${VERIFICATION_METHODS.join(', ')}`, { field: '--verified-by' });
  }
}

export type AuditRecord = Pick<AuditRow, 'action' | 'user'> & Partial<AuditRow>;

/** Appends a row to tac's own trail for a provider: who at the desk, on which provider and server. */
export function auditRecorder(opts: ProviderOptions, provider: string, server: string, now: () => number): (r: AuditRecord) => void {
  return (r) => opts.audit.append({
    at: new Date(now()).toISOString(), actor: opts.actor, provider, server,
    outcome: 'success', tacId: null, verifiedBy: null, reason: null, details: {}, ...r,
  });
}
