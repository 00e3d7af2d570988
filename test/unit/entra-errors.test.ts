import { afterAll, describe, expect, it } from 'vitest';
import { EntraApi, PERMISSIONS } from '../../src/backends/entra/api.js';
import type { ProviderOptions } from '../../src/backends/providers.js';
import type { HttpResponse } from '../../src/backends/remote-http.js';

/** Graph's error body as one line and the right code, without a network: EntraApi.error alone. */

const api = new EntraApi({
  serverUrl: 'http://127.0.0.1:9', tokenUrl: 'http://127.0.0.1:9/t/oauth2/v2.0/token', insecure: false,
  credential: { kind: 'client_secret', clientId: 'app', secret: 'sEcReT-value' }, requireAttestation: true, actor: 'me',
} as unknown as ProviderOptions);
afterAll(() => api.close());

const graph = (status: number, code: string, message: string, headers: Record<string, string> = {}, innerId = 'inner-id'): HttpResponse => ({
  status, headers, contentType: 'application/json',
  text: JSON.stringify({ error: { code, message, innerError: { date: '2026-03-01T12:00:00', 'request-id': innerId, 'client-request-id': innerId } } }),
});

describe('entra Graph errors', () => {
  it('403 names the permission of the call; the request id comes from the header, else innerError', () => {
    const e = api.error(graph(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.', { 'request-id': 'hdr-id' }), 'looking up the user', { permission: PERMISSIONS.users });
    expect([e.code, e.exitCode]).toEqual(['forbidden', 4]);
    expect(e.message).toBe('entra at http://127.0.0.1:9 refused looking up the user (Authorization_RequestDenied): the app needs the application permission User.Read.All with admin consent (App registrations > API permissions)');
    expect(e.details).toEqual({ providerCode: 'Authorization_RequestDenied', requestId: 'hdr-id' });
    expect(api.error(graph(403, 'accessDenied', 'x'), 'w', { permission: PERMISSIONS.passes }).details?.requestId).toBe('inner-id');
  });

  it('400 is the call\'s refusal (policy_violation when issuing, else invalid_value) with Graph\'s message, a secret cut out', () => {
    const issuing = api.error(graph(400, 'badRequest', 'Bad lifetime.'), 'creating a Temporary Access Pass', { permission: PERMISSIONS.passes, refusal: 'policy_violation' });
    expect([issuing.code, issuing.exitCode, issuing.message]).toEqual(['policy_violation', 5, 'entra at http://127.0.0.1:9 refused creating a Temporary Access Pass (badRequest): Bad lifetime.']);
    const other = api.error(graph(400, 'BadRequest', 'value sEcReT-value is\nwrong'), 'searching users', { permission: PERMISSIONS.users });
    expect([other.code, other.message]).toEqual(['invalid_value', 'entra at http://127.0.0.1:9 refused searching users (BadRequest): value [redacted] is wrong']);
  });

  it('404 words the call\'s not-found; 5xx carries the request id in the line (503 unreachable, 500 internal); 429 says when to retry', () => {
    expect(api.error(graph(404, 'Request_ResourceNotFound', 'x'), 'w', { permission: '', notFound: 'user "x" not found in entra' }).message).toBe('user "x" not found in entra');
    const down = api.error(graph(503, 'serviceNotAvailable', 'x', {}, 'r-503'), 'searching users', { permission: '' });
    expect([down.code, down.message]).toEqual(['unreachable', 'entra at http://127.0.0.1:9 failed searching users (HTTP 503 serviceNotAvailable, request id r-503)']);
    expect(api.error(graph(500, 'generalException', 'x'), 'w', { permission: '' }).code).toBe('internal');
    const slow = api.error(graph(429, 'TooManyRequests', 'x', { 'retry-after': '7' }), 'w', { permission: '' });
    expect([slow.code, slow.message]).toEqual(['rate_limited', 'entra at http://127.0.0.1:9 is throttling requests (HTTP 429) for w; try again in 7 s']);
  });
});
