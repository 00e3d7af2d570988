import { TacError } from '../core/errors.js';
import type { ProviderOptions } from './providers.js';
import { HttpTransport, parseJson, parseServerUrl, type HttpResponse, type Method, type RateLimitRetry } from './remote-http.js';
import type { TokenSource } from './token-source.js';

/*
 * What every provider's transport and JSON call do the same way, kept here once: send with a bearer token and,
 * when the provider refuses the token (401: nothing was done), drop it and try once more with a new
 * one; then read a 2xx answer's JSON. Error bodies differ per provider and stay in each api.ts.
 */

/** A JSON request with `Authorization: Bearer …`; a 401 gets one new token and one more try unless `renewOn401` is false. */
export async function sendWithBearer(http: HttpTransport, tokens: TokenSource, method: Method, path: string, body: unknown, renewOn401 = true): Promise<HttpResponse> {
  const send = (token: string) => http.send(method, path, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const res = await send(await tokens.get());
  if (res.status !== 401 || !renewOn401) return res;
  await tokens.drop();
  return send(await tokens.get());
}

export const isSuccess = (res: HttpResponse): boolean => res.status >= 200 && res.status < 300;

/** A 2xx answer's JSON; 204 (no content) is undefined; anything but JSON is an internal error naming the call. */
export function successJson<T>(res: HttpResponse, provider: string, what: string): T {
  if (res.status === 204) return undefined as T;
  const json = parseJson(res);
  if (json === undefined) throw new TacError('internal', `${provider} answered ${what} with something other than JSON (HTTP ${res.status})`);
  return json as T;
}

/**
 * The transport every provider talks through: its server and its token endpoint (which may be
 * another host: a regional tenant, a sovereign cloud) under the same loopback rule, and 429s waited
 * out at most 3 times, 30 s each. `waitMs` reads a provider's own rate-limit headers.
 */
export function providerTransport(provider: string, opts: ProviderOptions, waitMs?: RateLimitRetry['waitMs']): HttpTransport {
  const base = parseServerUrl(opts.serverUrl, opts.insecure);
  parseServerUrl(opts.tokenUrl, opts.insecure, '--token-url');
  return new HttpTransport(base, {
    timeouts: opts.timeouts, service: provider,
    rateLimit: { retries: 3, maxWaitMs: 30_000, onWait: opts.onRateLimitWait, ...(waitMs ? { waitMs } : {}) },
  });
}
