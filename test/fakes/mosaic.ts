import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeProcess } from './fake-process.js';

/**
 * Starts the Mosaic contract fake (mosaic-server.mjs, see there for the documented shapes it
 * holds requests to) as a real process on a loopback port, and drives its control endpoint.
 */
export interface MosaicFake {
  url: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** The next `times` requests whose path starts with `path` get `status` (with Retry-After if given). */
  fail(status: number, opts?: { times?: number; path?: string; retryAfter?: number }): Promise<void>;
  expireTokens(): Promise<void>;
  /** Requests the API saw (method, path, content type), in order. */
  requests(): Promise<{ method: string; path: string; contentType: string | null }[]>;
  stop(): Promise<void>;
}

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'mosaic-server.mjs');

export async function startMosaicFake(env: Record<string, string> = {}): Promise<MosaicFake> {
  const { info, control, stop } = await startFakeProcess<{ url: string; tokenUrl: string; clientId: string; clientSecret: string }>(SCRIPT, [], env, 'Mosaic');
  return {
    ...info,
    fail: async (status, opts = {}) => void (await control('POST', 'fail', { status, ...opts })),
    expireTokens: async () => void (await control('POST', 'expire-tokens')),
    requests: async () => (await control('GET', 'requests')) as { method: string; path: string; contentType: string | null }[],
    stop,
  };
}
