import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeProcess } from './fake-process.js';

/**
 * Starts the Okta contract fake (okta-server.mjs, see there for the documented shapes it holds
 * requests to) as a real process on a loopback port, with a service app whose key pair is made
 * here (the private key in a 0600 PEM file, as an admin would keep it), and drives its control endpoint.
 */
export interface OktaFake {
  url: string;
  tokenUrl: string;
  apiToken: string;
  clientId: string;
  /** The service app's private key (PEM); the fake holds the public half. */
  privateKeyFile: string;
  /** The next `times` requests whose path starts with `path` (and of `method`) get `status`; a 429 resets in `resetIn` s. */
  fail(status: number, opts?: { times?: number; path?: string; method?: string; resetIn?: number }): Promise<void>;
  setUserStatus(id: string, status: string): Promise<void>;
  expireTokens(): Promise<void>;
  /** Requests the API saw (method, path, query, auth scheme, content type), in order. */
  requests(): Promise<{ method: string; path: string; query: string; auth: string | null; contentType: string | null }[]>;
  stop(): Promise<void>;
}

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'okta-server.mjs');

export interface OktaFakeOptions {
  /** FAKE_OKTA_* settings (DPOP, SCOPES, KEY_ID…) without the prefix. */
  env?: Record<string, string>;
  keyType?: 'rsa' | 'ec';
}

export async function startOktaFake(opts: OktaFakeOptions = {}): Promise<OktaFake> {
  const dir = mkdtempSync(join(tmpdir(), 'tac-okta-fake-'));
  const pair = opts.keyType === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyFile = join(dir, 'app-key.pem');
  const publicKeyFile = join(dir, 'app-public.pem');
  writeFileSync(privateKeyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicKeyFile, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  const env = Object.fromEntries(Object.entries(opts.env ?? {}).map(([k, v]) => [`FAKE_OKTA_${k}`, v]));
  const { info, control, stop } = await startFakeProcess<{ url: string; tokenUrl: string; apiToken: string; clientId: string }>(SCRIPT, [], { FAKE_OKTA_PUBLIC_KEY_FILE: publicKeyFile, ...env }, 'Okta');
  return {
    ...info,
    privateKeyFile,
    fail: async (status, o = {}) => void (await control('POST', 'fail', { status, ...o })),
    setUserStatus: async (id, status) => void (await control('POST', 'user-status', { id, status })),
    expireTokens: async () => void (await control('POST', 'expire-tokens')),
    requests: async () => (await control('GET', 'requests')) as Awaited<ReturnType<OktaFake['requests']>>,
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
