import type { TokenGrant } from '../store/agents-store.js';

/** Entries older than this are looked up again, whatever else happened. */
export const GRANT_CACHE_MAX_AGE_MS = 5_000;
const MAX_ENTRIES = 10_000;

/**
 * Bearer tokens this server has recently authenticated, by token hash (the token itself is never
 * kept), so a request does not look its token up in SQLite (a join of agent_tokens and agents).
 *
 * Decision, measured with `npm run bench` (verify, 50 connections): the lookup was ~8% of the
 * server's CPU under load after group commit; with this cache it is gone (see the commit message).
 *
 * A cached grant is used only while all of these hold, so it never outlives a revocation:
 * - the token has not expired (checked at every use against the server's clock);
 * - no other connection (a `tac agents revoke` on this database, another server) has committed
 *   anything since it was cached: `PRAGMA data_version`, read at most once per event-loop turn,
 *   so such a change takes effect from the next turn on;
 * - this server has not revoked an agent since (AgentService.revoke calls clear());
 * - it is at most GRANT_CACHE_MAX_AGE_MS old.
 * Only valid grants are cached (an unknown token is looked up every time, and cannot fill memory).
 */
export class GrantCache {
  private readonly entries = new Map<string, { grant: TokenGrant; expiresAtMs: number; cachedAtMs: number }>();
  private version: number | undefined;
  private versionChecked = false;

  constructor(
    /** PRAGMA data_version of the server's connection. */
    private readonly dataVersion: () => number,
    private readonly maxAgeMs = GRANT_CACHE_MAX_AGE_MS,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  get(tokenHash: string, nowMs: number): TokenGrant | undefined {
    this.checkVersion();
    const e = this.entries.get(tokenHash);
    if (!e) return undefined;
    if (e.expiresAtMs <= nowMs || nowMs - e.cachedAtMs > this.maxAgeMs || nowMs < e.cachedAtMs) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return e.grant;
  }

  set(tokenHash: string, grant: TokenGrant, nowMs: number): void {
    this.checkVersion();
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(tokenHash, { grant, expiresAtMs: Date.parse(grant.expiresAt), cachedAtMs: nowMs });
  }

  clear(): void {
    this.entries.clear();
  }

  private checkVersion(): void {
    if (this.versionChecked) return;
    this.versionChecked = true;
    setImmediate(() => {
      this.versionChecked = false;
    });
    const v = this.dataVersion();
    if (v !== this.version) {
      this.entries.clear();
      this.version = v;
    }
  }
}
