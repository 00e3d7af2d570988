import { TacError } from '../core/errors.js';
import { parseJson, type HttpResponse, type HttpTransport, type Method } from './remote-http.js';
import type { TokenSource } from './token-source.js';

/*
 * What every provider's JSON call does the same way, kept here once: send with a bearer token and,
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
