import { TacError } from '../core/errors.js';
import { VERIFICATION_METHODS, type AuditEvent, type IssueInput } from '../core/types.js';
import type { AuditRow, AuditTrail } from './audit-trail.js';
import type { AuditFilter } from './backend.js';

/**
 * What every identity provider backend does the same way around tac's own audit trail: the
 * attestation rule before issuing, one row per action, and `tac audit --user` by provider user id.
 */
export class ProviderTrail {
  constructor(
    private readonly opts: { audit: AuditTrail; actor: string; requireAttestation: boolean },
    private readonly provider: string,
    private readonly server: string,
    private readonly now: () => number,
  ) {}

  /** As the engine's policy does: the code is refused until the agent says how identity was checked. */
  checkAttestation(input: IssueInput): void {
    if (this.opts.requireAttestation && input.verifiedBy === undefined) {
      throw new TacError('invalid_value', `--verified-by: the profile requires stating how the caller's identity was verified: one of ${VERIFICATION_METHODS.join(', ')}`, { field: '--verified-by' });
    }
  }

  record(r: Pick<AuditRow, 'action' | 'user'> & Partial<AuditRow>): void {
    this.opts.audit.append({
      at: new Date(this.now()).toISOString(), actor: this.opts.actor, provider: this.provider, server: this.server,
      outcome: 'success', tacId: null, verifiedBy: null, reason: null, details: {}, ...r,
    });
  }

  /**
   * --user names the user as everywhere (email, username…) and `userId` finds the provider's id,
   * which the trail holds; a user no longer at the provider keeps their events under that id.
   */
  async query(q: AuditFilter, userId: (ref: string) => Promise<string>): Promise<AuditEvent[]> {
    if (q.user === undefined) return this.opts.audit.query(q);
    const ref = q.user;
    const user = await userId(ref).catch((e: unknown) => {
      if (e instanceof TacError && e.code === 'not_found') return ref.trim();
      throw e;
    });
    return this.opts.audit.query({ ...q, user });
  }
}
