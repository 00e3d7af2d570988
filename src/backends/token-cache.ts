import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** An access token as the remote client keeps it. `expiresAt` is in epoch milliseconds. */
export interface CachedToken {
  accessToken: string;
  expiresAt: number;
  scope: string;
}

/**
 * Where the remote backend keeps tokens between calls. In memory by default; the CLI may pass a
 * file cache so that consecutive commands reuse one token instead of each paying a token request.
 */
export interface TokenCache {
  get(key: string): CachedToken | undefined | Promise<CachedToken | undefined>;
  set(key: string, token: CachedToken): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}

export class MemoryTokenCache implements TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  get(key: string) {
    return this.tokens.get(key);
  }
  set(key: string, token: CachedToken) {
    this.tokens.set(key, token);
  }
  delete(key: string) {
    this.tokens.delete(key);
  }
}

/**
 * A JSON file (mode 0600, written atomically) of tokens by key. Tokens are short-lived bearer
 * credentials: the file is as private as the client secret store that minted them.
 */
export class FileTokenCache implements TokenCache {
  constructor(private readonly path: string, private readonly now: () => number = Date.now) {}

  get(key: string) {
    const t = this.read()[key];
    return t && t.expiresAt > this.now() ? t : undefined;
  }

  set(key: string, token: CachedToken) {
    const all = this.read();
    // Drop expired entries while we are here, so the file cannot grow without bound.
    for (const [k, v] of Object.entries(all)) if (v.expiresAt <= this.now()) delete all[k];
    all[key] = token;
    this.write(all);
  }

  delete(key: string) {
    const all = this.read();
    if (key in all) {
      delete all[key];
      this.write(all);
    }
  }

  private read(): Record<string, CachedToken> {
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as unknown;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, CachedToken>) : {};
    } catch {
      return {};
    }
  }

  private write(all: Record<string, CachedToken>): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(all)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}
