import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  const child: ChildProcess = spawn(process.execPath, [SCRIPT, '--port', '0'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise<{ url: string; tokenUrl: string; clientId: string; clientSecret: string }>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)));
    });
    child.on('exit', (code) => reject(new Error(`the Mosaic fake exited (${code}) before listening`)));
  });
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${info.url}/__control/${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`fake control ${path}: HTTP ${res.status}`);
    return res.status === 204 ? undefined : res.json();
  };
  return {
    ...info,
    fail: async (status, opts = {}) => void (await control('POST', 'fail', { status, ...opts })),
    expireTokens: async () => void (await control('POST', 'expire-tokens')),
    requests: async () => (await control('GET', 'requests')) as { method: string; path: string; contentType: string | null }[],
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
