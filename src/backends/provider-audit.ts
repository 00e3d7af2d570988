import { TacError } from '../core/errors.js';
import { VERIFICATION_METHODS, type AuditEvent, type IssueInput } from '../core/types.js';
import type { AuditRow, AuditTrail } from './audit-trail.js';
import type { AuditFilter } from './backend.js';
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

/**
 * `tac audit --user`: USER is named as everywhere (email, login…) and `userId` finds the provider's
 * id, which the trail holds; a user no longer at the provider keeps their events under that id.
 */
export async function queryByUser(audit: AuditTrail, q: AuditFilter, userId: (ref: string) => Promise<string>): Promise<AuditEvent[]> {
  if (q.user === undefined) return audit.query(q);
  const ref = q.user;
  const user = await userId(ref).catch((e: unknown) => {
    if (e instanceof TacError && e.code === 'not_found') return ref.trim();
    throw e;
  });
  return audit.query({ ...q, user });
}
