import { invalid } from '../core/errors.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/**
 * A server URL must be http(s); plain http is allowed only to this machine unless --insecure,
 * because the client secret and every issued code would cross the network in clear.
 */
export function checkServerUrl(raw: string, insecure: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('--server', `"${raw}" is not a URL; use e.g. https://tac.example.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('--server', 'must start with https:// (or http:// on this machine)');
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname) && !url.hostname.startsWith('127.') && !insecure) {
    throw invalid('--server', `plain http:// to ${url.hostname} would send secrets and codes in clear; use https:// or pass --insecure`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}
