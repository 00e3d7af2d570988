import { FileStore, openCredentialStore, secretAccount, tokenAccount, type CredentialStore } from '../config/credentials.js';
import { configDir } from '../store/paths.js';
import type { CommandContext } from './context.js';
import type { Target } from './target.js';

/** An access token kept between commands, so each command does not pay for a token request. */
export interface CachedToken {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  scope: string;
}

export interface TokenCache {
  load(): Promise<CachedToken | undefined>;
  save(token: CachedToken): Promise<void>;
  clear(): Promise<void>;
}

export interface RemoteCredentials {
  clientId: string;
  clientSecret: string;
  tokenCache?: TokenCache;
  store?: CredentialStore;
}

export function tokenCacheIn(store: CredentialStore, server: string, clientId: string): TokenCache {
  const account = tokenAccount(server, clientId);
  return {
    async load() {
      try {
        const raw = await store.get(account);
        const t = raw ? (JSON.parse(raw) as CachedToken) : undefined;
        return t && typeof t.accessToken === 'string' && typeof t.expiresAt === 'number' ? t : undefined;
      } catch {
        return undefined; // a broken cache only costs a new token
      }
    },
    async save(token) {
      await store.set(account, JSON.stringify(token)).catch(() => undefined);
    },
    async clear() {
      await store.delete(account).catch(() => false);
    },
  };
}

/**
 * CI passes TAC_CLIENT_ID/TAC_CLIENT_SECRET and nothing is written to disk (tokens stay in
 * memory). Otherwise the secret stored by `tac login` is used, with its token cache beside it.
 */
export async function remoteCredentials(ctx: CommandContext, target: Extract<Target, { kind: 'remote' }>): Promise<RemoteCredentials | undefined> {
  if (!target.clientId) return undefined;
  if (target.envSecret) return { clientId: target.clientId, clientSecret: target.envSecret };
  const dir = configDir(ctx.env);
  const { store } = await openCredentialStore(dir, ctx.env);
  let secret = await store.get(secretAccount(target.server, target.clientId)).catch(() => undefined);
  let holder: CredentialStore = store;
  if (!secret && store.kind === 'keychain') {
    // Saved to the file while the keychain was unavailable.
    const file = new FileStore(dir);
    secret = await file.get(secretAccount(target.server, target.clientId));
    holder = file;
  }
  if (!secret) return undefined;
  return { clientId: target.clientId, clientSecret: secret, tokenCache: tokenCacheIn(holder, target.server, target.clientId), store: holder };
}
