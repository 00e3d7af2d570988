import type { CachedToken, TokenCache } from './token-cache.js';

/** A token is renewed this long before it expires, so it cannot lapse between check and use. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * An access token kept in a cache and fetched on demand, shared by the remote backend and the
 * providers: one token request at a time however many calls wait for it, renewed before expiry,
 * and dropped when the server says it is no longer good (401).
 */
export class TokenSource {
  private pending: Promise<string> | undefined;

  constructor(
    private readonly cache: TokenCache,
    private readonly key: string,
    private readonly fetchToken: () => Promise<CachedToken>,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<string> {
    const cached = await this.cache.get(this.key);
    if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > this.now()) return cached.accessToken;
    return (this.pending ??= this.fetchAndStore().finally(() => (this.pending = undefined)));
  }

  /** A new token from the token endpoint, whatever the cache holds (login proves the secret with it). */
  async fresh(): Promise<CachedToken> {
    const token = await this.fetchToken();
    await this.cache.set(this.key, token);
    return token;
  }

  async drop(): Promise<void> {
    await this.cache.delete(this.key);
  }

  private async fetchAndStore(): Promise<string> {
    return (await this.fresh()).accessToken;
  }
}
