import type { CachedToken, TokenCache } from '../backends/token-cache.js';
import { FileStore, openCredentialStore, secretAccount, tokenAccount, type CredentialStore } from '../config/credentials.js';
import { configDir } from '../store/paths.js';
import type { CommandContext } from './context.js';
import type { Target } from './target.js';
import type { AuthMethod, ProviderCredential } from '../backends/providers.js';
import { readSigningKey } from '../backends/client-assertion.js';

type RemoteTarget = Extract<Target, { kind: 'remote' }>;

export interface RemoteCredentials {
  credential: ProviderCredential;
  tokenCache?: TokenCache;
  /** Where the secret came from: the environment, a credential store, or the user's key file. */
  source: 'environment' | CredentialStore | { keyFile: string };
}

/** The keychain entry a stored secret lives under: the client's, or the API token's (it has no client id). */
export const storedSecretId = (auth: AuthMethod, clientId: string | undefined): string | undefined => (auth === 'api_token' ? 'api-token' : clientId);

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
 * CI passes TAC_CLIENT_ID with TAC_CLIENT_SECRET (or TAC_API_TOKEN, TAC_PRIVATE_KEY_FILE) and
 * nothing is written to disk (tokens stay in memory). Otherwise the secret stored by `tac login`
 * is used, with its token cache beside it; a private key is read from the user's own file.
 */
export async function remoteCredentials(ctx: CommandContext, target: RemoteTarget): Promise<RemoteCredentials | undefined> {
  const { auth, clientId } = target;
  if (auth !== 'api_token' && !clientId) return undefined;
  if (target.envSecret) {
    const credential: ProviderCredential = auth === 'api_token' ? { kind: auth, token: target.envSecret } : { kind: 'client_secret', clientId: clientId!, secret: target.envSecret };
    return { credential, source: 'environment' };
  }
  const dir = configDir(ctx.env);
  const { store } = await openCredentialStore(dir, ctx.env);
  if (auth === 'private_key') {
    if (!target.privateKeyFile) return undefined;
    const key = readSigningKey(target.privateKeyFile, ctx.env.TAC_PRIVATE_KEY_FILE ? 'TAC_PRIVATE_KEY_FILE' : '--private-key-file');
    const tokenCache = ctx.env.TAC_PRIVATE_KEY_FILE ? undefined : storeTokenCache(store, target.server, clientId!);
    return { credential: { kind: auth, clientId: clientId!, key, ...(target.keyId ? { keyId: target.keyId } : {}) }, tokenCache, source: { keyFile: key.file } };
  }
  const id = storedSecretId(auth, clientId)!;
  const account = secretAccount(target.server, id);
  let holder: CredentialStore = store;
  let secret = await store.get(account).catch(() => undefined);
  if (!secret && store.kind === 'keychain') {
    // Saved to the file while the keychain was unavailable.
    holder = new FileStore(dir);
    secret = await holder.get(account);
  }
  if (!secret) return undefined;
  if (auth === 'api_token') return { credential: { kind: auth, token: secret }, source: holder };
  return { credential: { kind: 'client_secret', clientId: id, secret }, tokenCache: storeTokenCache(holder, target.server, id), source: holder };
}
