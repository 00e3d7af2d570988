import type { Policy } from '../../core/policy.js';

/**
 * The stored policy of one SQLite connection, kept parsed: every verify reads it (a SELECT and a
 * JSON.parse, ~5% of a verify's CPU in the profile; see the commit message).
 *
 * It is used only while it is certainly what the table holds:
 * - another connection's commit (`tac policy set` in another process, another server on the
 *   file) changes PRAGMA data_version, read at every get: inside a transaction no one else can
 *   commit, and outside one the check is as fresh as the SELECT it replaces;
 * - this connection's own savePolicy drops it (data_version does not see this connection's
 *   commits), and nothing is kept until that transaction is over, committed or rolled back, so a
 *   policy that was rolled back is never served.
 * The policy is frozen: every caller shares the one object.
 */
export class PolicyCache {
  private cached?: { policy: Policy | undefined; version: number };
  private unsettledWrite = false;

  constructor(private readonly dataVersion: () => number) {}

  get(read: () => Policy | undefined): Policy | undefined {
    const version = this.dataVersion();
    const c = this.cached;
    if (c !== undefined && c.version === version && !this.unsettledWrite) return c.policy;
    const policy = freeze(read());
    if (!this.unsettledWrite) this.cached = { policy, version };
    return policy;
  }

  /** The policy is being written in a transaction: read it from the table until that is over. */
  unsettle(): void {
    this.cached = undefined;
    this.unsettledWrite = true;
  }

  /** The connection's outermost transaction is over (committed or rolled back). */
  settled(): void {
    this.unsettledWrite = false;
  }
}

function freeze(p: Policy | undefined): Policy | undefined {
  if (p?.complexity) Object.freeze(p.complexity);
  return p && Object.freeze(p);
}
