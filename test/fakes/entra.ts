import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeProcess } from './fake-process.js';

/**
 * Starts the Entra contract fake (entra-server.mjs, see there for the documented shapes it holds
 * requests to) as a real process on a loopback port, and drives its control endpoint.
 */
export interface EntraFake {
  url: string;
  tokenUrl: string;
  tenant: string;
  clientId: string;
  clientSecret: string;
  /** The next `times` requests whose path starts with `path` (and of `method`, if given) get `status`. */
  fail(status: number, opts?: { times?: number; path?: string; method?: string; retryAfter?: number; code?: string }): Promise<void>;
  expireTokens(): Promise<void>;
  /** The application permissions the next tokens carry (their roles claim). */
  setRoles(roles: string[]): Promise<void>;
  addUser(user: { id: string; userPrincipalName: string; displayName: string; [k: string]: unknown }): Promise<void>;
  /** The user signed in with their one-time pass (methodUsabilityReason OneTimeUsed). */
  usePass(userId: string): Promise<void>;
  /** The certificate registered on the app (PEM). */
  setCertificate(pem: string): Promise<void>;
  /** Requests Graph and the token endpoint saw, in order. */
  requests(): Promise<{ method: string; path: string; query: string; contentType: string | null }[]>;
  stop(): Promise<void>;
}

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'entra-server.mjs');

export async function startEntraFake(env: Record<string, string> = {}, args: string[] = []): Promise<EntraFake> {
  const { info, control, stop } = await startFakeProcess<{ url: string; tokenUrl: string; tenant: string; clientId: string; clientSecret: string }>(SCRIPT, args, env, 'Entra');
  const post = (path: string, body?: unknown) => control('POST', path, body).then(() => undefined);
  return {
    ...info,
    fail: (status, opts = {}) => post('fail', { status, ...opts }),
    expireTokens: () => post('expire-tokens'),
    setRoles: (roles) => post('roles', { roles }),
    addUser: (user) => post('users', user),
    usePass: (userId) => post('use-pass', { userId }),
    setCertificate: (pem) => post('certificate', { pem }),
    requests: async () => (await control('GET', 'requests')) as { method: string; path: string; query: string; contentType: string | null }[],
    stop,
  };
}
