import type { CachedToken, TokenCache } from '../backends/token-cache.js';
import { FileStore, openCredentialStore, secretAccount, tokenAccount, type CredentialStore } from '../config/credentials.js';
import { configDir } from '../store/paths.js';
import type { CommandContext } from './context.js';
import type { Target } from './target.js';

export interface RemoteCredentials {
  clientId: string;
  clientSecret: string;
  tokenCache?: TokenCache;
  /** Where the secret came from: the environment, or a credential store. */
  source: 'environment' | CredentialStore;
}

/**
 * The access token is kept beside the secret (keychain or 0600 file) so consecutive commands
 * reuse it instead of each paying for a token request. One entry per server and client.
 */
export function storeTokenCache(store: CredentialStore, server: string, clientId: string): TokenCache {
  const account = tokenAccount(server, clientId);
  return {
    async get(key) {
      try {
        const raw = await store.get(account);
        const entry = raw ? (JSON.parse(raw) as { key: string; token: CachedToken }) : undefined;
        return entry?.key === key && typeof entry.token?.accessToken === 'string' ? entry.token : undefined;
      } catch {
        return undefined; // a broken cache only costs a new token
      }
    },
    async set(key, token) {
      await store.set(account, JSON.stringify({ key, token })).catch(() => undefined);
    },
    async delete() {
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
  if (target.envSecret) return { clientId: target.clientId, clientSecret: target.envSecret, source: 'environment' };
  const dir = configDir(ctx.env);
  const { store } = await openCredentialStore(dir, ctx.env);
  const account = secretAccount(target.server, target.clientId);
  let holder: CredentialStore = store;
  let secret = await store.get(account).catch(() => undefined);
  if (!secret && store.kind === 'keychain') {
    // Saved to the file while the keychain was unavailable.
    holder = new FileStore(dir);
    secret = await holder.get(account);
  }
  if (!secret) return undefined;
  return { clientId: target.clientId, clientSecret: secret, tokenCache: storeTokenCache(holder, target.server, target.clientId), source: holder };
}
