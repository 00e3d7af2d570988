import { checkProvider, defaultServer, defaultTokenUrl, type ProviderName } from '../../../backends/providers.js';
import { parseServerUrl } from '../../../backends/server-url.js';
import { FileStore, openCredentialStore, secretAccount, type CredentialStore } from '../../../config/credentials.js';
import { checkProfileName, openConfigWriter, readConfig } from '../../../config/profiles.js';
import { configDir } from '../../../store/paths.js';
import { connect } from '../../backend-factory.js';
import { usageError } from '../../errors.js';
import { flagOrPrompt } from '../../interactive.js';
import { optString } from '../../parse.js';
import { storedSecretId, storeTokenCache } from '../../remote-credentials.js';
import { chooseLoginAuth, loginCredential, loginTenant } from './credential.js';
import type { Handler } from '../../spec.js';

/**
 * Proves the credentials with one real call (tac serve: a token and whoami; a provider: its token
 * request or a read), and only then stores the secret: in the OS keychain, or (with a warning) in
 * a 0600 file. A secret never comes from a flag value, so it stays out of shell history and
 * process listings; a private key stays in the user's file, whose path the profile keeps.
 */
export const run: Handler = async (ctx, { opts }) => {
  const dir = configDir(ctx.env);
  const cfg = readConfig(dir);
  const current = cfg.currentProfile ? cfg.profiles?.[cfg.currentProfile] : undefined;
  const name = checkProfileName(ctx.globals.profile ?? ctx.env.TAC_PROFILE ?? (current?.type === 'remote' ? cfg.currentProfile! : 'default'));
  const before = cfg.profiles?.[name];
  const previous = before?.type === 'remote' ? before : undefined;
  const insecure = Boolean(ctx.globals.insecure) || Boolean(previous?.insecure);
  const provider: ProviderName = checkProvider('--provider', optString(opts, 'provider') ?? ctx.env.TAC_PROVIDER ?? previous?.provider ?? 'tac');

  const tenant = await loginTenant(ctx, provider, opts, previous);
  const rawServer = await flagOrPrompt(ctx, ctx.globals.server ?? (previous && (previous.provider ?? 'tac') === provider ? previous.server : undefined) ?? ctx.env.TAC_SERVER ?? defaultServer(provider), '--server', (p) =>
    p.input({ message: 'Server URL', validate: (v) => { try { parseServerUrl(v, insecure); return true; } catch (e) { return (e as Error).message; } } }));
  const server = parseServerUrl(rawServer, insecure).href.replace(/\/$/, '');
  const same = previous?.server === server && (previous.provider ?? 'tac') === provider ? previous : undefined;
  const auth = chooseLoginAuth(provider, opts, ctx.env, same);
  if (optString(opts, 'keyId') !== undefined && (auth !== 'private_key' || (provider as string) !== 'okta')) throw usageError('--key-id applies to --provider okta with --private-key-file', '--key-id');
  const login = await loginCredential(ctx, auth, opts, async () => (await flagOrPrompt(ctx, optString(opts, 'clientId') ?? same?.clientId ?? ctx.env.TAC_CLIENT_ID, '--client-id', (p) =>
    p.input({ message: 'Client id', validate: (v) => (v.trim() ? true : 'required') }))).trim());
  const tokenUrl = loginTokenUrl(optString(opts, 'tokenUrl') ?? ctx.env.TAC_TOKEN_URL, provider, insecure) ?? same?.tokenUrl;

  let { store, fallbackReason } = await openCredentialStore(dir, ctx.env);
  const base = loginTarget({ server, provider, tokenUrl, tenant, insecure, requireAttestation: previous?.requireAttestation !== false, profile: name });
  const secretId = storedSecretId(auth, login.clientId)!;
  const tokenCache = auth === 'api_token' ? undefined : storeTokenCache(store, server, login.clientId);
  const backend = await connect(ctx, { ...base, auth, clientId: login.clientId || undefined }, { credential: login.credential, tokenCache });
  const who = await backend.identity().finally(() => backend.close());

  if (login.secret !== undefined) {
    try {
      await store.set(secretAccount(server, secretId), login.secret);
    } catch (e) {
      fallbackReason = (e as Error).message;
      store = new FileStore(dir);
      await store.set(secretAccount(server, secretId), login.secret);
    }
    if (store.kind === 'file') {
      ctx.warn(`no OS keychain is available (${fallbackReason ?? 'unknown reason'}); the ${auth === 'api_token' ? 'API token' : 'client secret'} is stored in ${store.where} (mode 0600)`);
    }
  }
  const conf = await openConfigWriter(dir);
  conf.set(`profiles.${name}`, {
    type: 'remote', server, clientId: login.clientId, ...(insecure ? { insecure: true } : {}), ...(provider === 'tac' ? {} : { provider }),
    ...(tokenUrl ? { tokenUrl } : {}), ...(previous?.requireAttestation === false ? { requireAttestation: false } : {}),
    ...(auth === 'client_secret' ? {} : { auth }), ...(login.privateKeyFile ? { privateKeyFile: login.privateKeyFile } : {}),
    ...(login.keyId ? { keyId: login.keyId } : {}), ...(tenant ? { tenant } : {}),
  });
  conf.set('currentProfile', name);

  const result = {
    profile: name, provider, server, clientId: who.clientId, agent: who.name, role: who.role, scopes: who.scopes, tokenExpiresAt: who.tokenExpiresAt,
    secretStorage: login.privateKeyFile ? `key file:${login.privateKeyFile}` : describe(store),
  };
  if (ctx.globals.json) return ctx.json(result);
  const as = who.name ? `${who.name}${who.role ? ` (${who.role})` : ''}` : `client ${who.clientId}`;
  ctx.success(`Logged in to ${provider === 'tac' ? '' : `${provider} at `}${server} as ${as}; profile "${name}" is now current.`);
};

/** --token-url (or TAC_TOKEN_URL): a provider's token endpoint, under the same loopback rule as --server. */
function loginTokenUrl(value: string | undefined, provider: ProviderName, insecure: boolean): string | undefined {
  if (value === undefined) return undefined;
  if (provider === 'tac') throw usageError('--token-url applies to an identity provider (e.g. --provider mosaic); tac serve has its own', '--token-url');
  parseServerUrl(value, insecure, '--token-url');
  return value;
}

/** The target a login makes, with the provider's default token URL when none is given. */
function loginTarget(t: { server: string; provider: ProviderName; tokenUrl?: string; tenant?: string; insecure: boolean; requireAttestation: boolean; profile: string }) {
  const tokenUrl = t.tokenUrl ?? defaultTokenUrl(t.provider, t.server, t.tenant);
  return {
    kind: 'remote' as const, server: t.server, provider: t.provider, insecure: t.insecure, requireAttestation: t.requireAttestation, profile: t.profile,
    ...(tokenUrl ? { tokenUrl } : {}), ...(t.tenant ? { tenant: t.tenant } : {}),
  };
}

const describe = (s: CredentialStore) => (s.kind === 'keychain' ? 'keychain' : `file:${s.where}`);
