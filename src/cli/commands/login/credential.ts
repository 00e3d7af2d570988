import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { readSigningKey } from '../../../backends/client-assertion.js';
import { AUTH_METHODS, checkTenant, type AuthMethod, type ProviderCredential, type ProviderName } from '../../../backends/providers.js';
import type { CommandContext } from '../../context.js';
import { usageError } from '../../errors.js';
import { flagOrPrompt } from '../../interactive.js';
import { readFirstLine } from '../../io.js';
import { optString } from '../../parse.js';
import type { Profile } from '../../../config/profiles.js';

type Previous = Extract<Profile, { type: 'remote' }> | undefined;

/** What a login signs in with, and what of it the profile keeps (never a secret). */
export interface LoginCredential {
  credential: ProviderCredential;
  auth: AuthMethod;
  clientId: string;
  /** A secret for the keychain (client secret or API token); a private key stays in its file. */
  secret?: string;
  privateKeyFile?: string;
  keyId?: string;
}

const FLAG: Record<AuthMethod, string> = { client_secret: '--client-secret-stdin', api_token: '--api-token-stdin', private_key: '--private-key-file' };

/**
 * How this login authenticates: the flag given, else what the profile used on this server, else
 * the provider's preferred kind. A kind the provider does not take is refused, naming those it does.
 */
export function chooseLoginAuth(provider: ProviderName, opts: Record<string, unknown>, env: CommandContext['env'], previous: Previous): AuthMethod {
  const accepted = AUTH_METHODS[provider] ?? ['client_secret'];
  const given = (Object.keys(FLAG) as AuthMethod[]).filter((m) => (m === 'private_key' ? optString(opts, 'privateKeyFile') : opts[m === 'api_token' ? 'apiTokenStdin' : 'clientSecretStdin']));
  if (given.length > 1) throw usageError(`${given.map((m) => FLAG[m]).join(' and ')} cannot be used together`, FLAG[given[1]!]);
  const wanted = given[0] ?? (env.TAC_PRIVATE_KEY_FILE && accepted.includes('private_key') ? 'private_key' : undefined) ?? (previous?.provider === provider ? previous.auth : undefined) ?? accepted[0]!;
  if (!accepted.includes(wanted)) throw usageError(`${provider} does not take ${FLAG[wanted]}; use ${accepted.map((m) => FLAG[m]).join(' or ')}`, FLAG[wanted]);
  return wanted;
}

/** The tenant an Entra login names (flag, TAC_TENANT, the profile's, or a prompt); other providers have none. */
export async function loginTenant(ctx: CommandContext, provider: ProviderName, opts: Record<string, unknown>, previous: Previous): Promise<string | undefined> {
  const flag = optString(opts, 'tenant');
  if ((provider as string) !== 'entra') {
    if (flag !== undefined) throw usageError('--tenant applies to --provider entra', '--tenant');
    return undefined;
  }
  const value = await flagOrPrompt(ctx, flag ?? ctx.env.TAC_TENANT ?? previous?.tenant, '--tenant', (p) =>
    p.input({ message: 'Tenant (directory id or domain)', validate: (v) => { try { checkTenant('--tenant', v); return true; } catch (e) { return (e as Error).message; } } }));
  return checkTenant('--tenant', value);
}

/** Reads the secret (stdin or a hidden prompt) or the key file; secrets never come from a flag value. */
export async function loginCredential(ctx: CommandContext, auth: AuthMethod, opts: Record<string, unknown>, clientId: () => Promise<string>): Promise<LoginCredential> {
  if (auth === 'api_token') {
    const token = await readSecret(ctx, opts.apiTokenStdin, '--api-token-stdin', 'API token');
    return { credential: { kind: auth, token }, auth, clientId: '', secret: token };
  }
  const id = await clientId();
  if (auth === 'client_secret') {
    const secret = await readSecret(ctx, opts.clientSecretStdin, '--client-secret-stdin', 'Client secret');
    return { credential: { kind: auth, clientId: id, secret }, auth, clientId: id, secret };
  }
  const file = resolve(optString(opts, 'privateKeyFile') ?? ctx.env.TAC_PRIVATE_KEY_FILE!);
  const key = readSigningKey(file);
  warnIfReadable(ctx, file);
  const keyId = optString(opts, 'keyId') ?? ctx.env.TAC_KEY_ID;
  return { credential: { kind: auth, clientId: id, key, ...(keyId ? { keyId } : {}) }, auth, clientId: id, privateKeyFile: file, ...(keyId ? { keyId } : {}) };
}

async function readSecret(ctx: CommandContext, fromStdin: unknown, flag: string, what: string): Promise<string> {
  const value = fromStdin
    ? (await readFirstLine(ctx.io.stdin)).trim()
    : await flagOrPrompt(ctx, undefined, flag, (p) => p.password({ message: what, mask: '*' }));
  if (!value) throw usageError(`the ${what.toLowerCase()} is empty`, flag);
  return value;
}

/** As ssh would, but a warning: CI systems often write key files with their default umask. */
function warnIfReadable(ctx: CommandContext, file: string): void {
  const mode = statSync(file).mode & 0o077;
  if (mode) ctx.warn(`${file} can be read by other users (mode ${(statSync(file).mode & 0o777).toString(8)}); chmod 600 it`);
}
