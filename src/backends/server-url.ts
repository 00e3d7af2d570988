import { TacError } from '../core/errors.js';

/* Kept apart from remote-http.ts so commands that only check a URL (config set) do not load undici. */

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);
export const isLoopbackHost = (hostname: string): boolean => LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);

/**
 * Checks and normalizes a server URL (always ending with "/", so paths resolve under any prefix).
 * `field` names it in errors: --server, or --token-url for a provider's token endpoint.
 */
export function parseServerUrl(serverUrl: string, insecure: boolean, field = '--server'): URL {
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    throw new TacError('usage', `${field}: "${serverUrl.slice(0, 200)}" is not a URL (e.g. https://tac.example.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TacError('usage', `${field}: use an https:// URL (got ${url.protocol})`);
  if (url.username || url.password) throw new TacError('usage', `${field}: the URL must not contain credentials`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !insecure) {
    throw new TacError('usage', `${field}: refusing to send credentials over plain http:// to ${url.hostname}; use https:// (or --insecure on a trusted network)`);
  }
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}
