import { TacError } from '../core/errors.js';

/* Kept apart from remote-http.ts so commands that only check a URL (config set) do not load undici. */

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);
export const isLoopbackHost = (hostname: string): boolean => LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);

/** Checks and normalizes a server URL (always ending with "/", so paths resolve under any prefix). */
export function parseServerUrl(serverUrl: string, insecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    throw new TacError('usage', `--server: "${serverUrl.slice(0, 200)}" is not a URL (e.g. https://tac.example.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TacError('usage', `--server: use an https:// URL (got ${url.protocol})`);
  if (url.username || url.password) throw new TacError('usage', '--server: the URL must not contain credentials');
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !insecure) {
    throw new TacError('usage', `--server: refusing to send credentials over plain http:// to ${url.hostname}; use https:// (or --insecure on a trusted network)`);
  }
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}
