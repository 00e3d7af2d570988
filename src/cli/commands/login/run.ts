import { checkProvider, defaultTokenUrl, type ProviderName } from '../../../backends/providers.js';
import { parseServerUrl } from '../../../backends/server-url.js';
import { FileStore, openCredentialStore, secretAccount, type CredentialStore } from '../../../config/credentials.js';
import { checkProfileName, openConfigWriter, readConfig } from '../../../config/profiles.js';
import { configDir } from '../../../store/paths.js';
import { connect } from '../../backend-factory.js';
import { usageError } from '../../errors.js';
import { flagOrPrompt } from '../../interactive.js';
import { readFirstLine } from '../../io.js';
import { optString } from '../../parse.js';
import { storeTokenCache } from '../../remote-credentials.js';
import type { Handler } from '../../spec.js';

/**
 * Proves the credentials with one real call (tac serve: a token and whoami; a provider: its token
 * request), and only then
 * stores the secret: in the OS keychain, or (with a warning) in a 0600 file. The secret never
 * comes from a flag value, so it stays out of shell history and process listings.
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

  const rawServer = await flagOrPrompt(ctx, ctx.globals.server ?? previous?.server ?? ctx.env.TAC_SERVER, '--server', (p) =>
    p.input({ message: 'Server URL', validate: (v) => { try { parseServerUrl(v, insecure); return true; } catch (e) { return (e as Error).message; } } }));
  const server = parseServerUrl(rawServer, insecure).href.replace(/\/$/, '');
  const clientId = (await flagOrPrompt(ctx, optString(opts, 'clientId') ?? (previous?.server === server ? previous.clientId : undefined) ?? ctx.env.TAC_CLIENT_ID, '--client-id', (p) =>
    p.input({ message: 'Client id', validate: (v) => (v.trim() ? true : 'required') }))).trim();
  const secret = opts.clientSecretStdin
    ? (await readFirstLine(ctx.io.stdin)).trim()
    : await flagOrPrompt(ctx, undefined, '--client-secret-stdin', (p) => p.password({ message: 'Client secret', mask: '*' }));
  if (!secret) throw usageError('the client secret is empty', '--client-secret-stdin');
  const tokenUrl = loginTokenUrl(optString(opts, 'tokenUrl') ?? ctx.env.TAC_TOKEN_URL, provider, insecure)
    ?? (previous?.server === server && previous.provider === provider ? previous.tokenUrl : undefined);

  let { store, fallbackReason } = await openCredentialStore(dir, ctx.env);
  const base = loginTarget({ server, provider, tokenUrl, insecure, requireAttestation: previous?.requireAttestation !== false, profile: name });
  const backend = await connect(ctx, { ...base, clientId }, { clientId, clientSecret: secret, tokenCache: storeTokenCache(store, server, clientId) });
  const who = await backend.identity().finally(() => backend.close());

  try {
    await store.set(secretAccount(server, clientId), secret);
  } catch (e) {
    fallbackReason = (e as Error).message;
    store = new FileStore(dir);
    await store.set(secretAccount(server, clientId), secret);
  }
  if (store.kind === 'file') {
    ctx.warn(`no OS keychain is available (${fallbackReason ?? 'unknown reason'}); the client secret is stored in ${store.where} (mode 0600)`);
  }
  const conf = await openConfigWriter(dir);
  conf.set(`profiles.${name}`, {
    type: 'remote', server, clientId, ...(insecure ? { insecure: true } : {}), ...(provider === 'tac' ? {} : { provider }),
    ...(tokenUrl ? { tokenUrl } : {}), ...(previous?.requireAttestation === false ? { requireAttestation: false } : {}),
  });
  conf.set('currentProfile', name);

  const result = {
    profile: name, provider, server, clientId, agent: who.name, role: who.role, scopes: who.scopes, tokenExpiresAt: who.tokenExpiresAt, secretStorage: describe(store),
  };
  if (ctx.globals.json) return ctx.json(result);
  const as = who.name ? `${who.name} (${who.role})` : `client ${clientId}`;
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
function loginTarget(t: { server: string; provider: ProviderName; tokenUrl?: string; insecure: boolean; requireAttestation: boolean; profile: string }) {
  const tokenUrl = t.tokenUrl ?? defaultTokenUrl(t.provider, t.server);
  return { kind: 'remote' as const, server: t.server, provider: t.provider, insecure: t.insecure, requireAttestation: t.requireAttestation, profile: t.profile, ...(tokenUrl ? { tokenUrl } : {}) };
}

const describe = (s: CredentialStore) => (s.kind === 'keychain' ? 'keychain' : `file:${s.where}`);
