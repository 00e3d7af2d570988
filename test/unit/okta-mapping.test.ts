import { describe, expect, it } from 'vitest';
import { TacError } from '../../src/core/errors.js';
import { apiError, rateLimitWaitMs, tokenError } from '../../src/backends/okta/errors.js';
import { applyPatch, toPolicyView } from '../../src/backends/okta/policy.js';
import { checkTtl, enrollmentBody, toTac, utcTime, type TacAuthenticator } from '../../src/backends/okta/tacs.js';
import { checkCanReceive, searchQuery, toDetails, toUserView, type OktaUser } from '../../src/backends/okta/users.js';
import type { HttpResponse } from '../../src/backends/remote-http.js';

/** Okta's shapes mapped onto tac's: users, TAC enrollments, the policy, errors and rate-limit waits. */

const user = (status: string, profile: OktaUser['profile'] = {}): OktaUser => ({ id: '00u1', status, created: '2026-01-01T00:00:00.000Z', lastUpdated: '2026-01-02T00:00:00.000Z', profile: { login: 'a@example.com', ...profile } });

describe('okta users', () => {
  it('maps every Okta status: SUSPENDED and DEPROVISIONED are disabled; LOCKED_OUT is locked; what Okta lacks is null', () => {
    const statuses = ['ACTIVE', 'SUSPENDED', 'DEPROVISIONED', 'LOCKED_OUT', 'PROVISIONED', 'STAGED', 'PASSWORD_EXPIRED', 'RECOVERY'];
    expect(statuses.filter((s) => toUserView(user(s)).disabled)).toEqual(['SUSPENDED', 'DEPROVISIONED']);
    expect(statuses.filter((s) => toDetails(user(s), null).locked)).toEqual(['LOCKED_OUT']);
    expect(toDetails({ id: '00u2' }, null)).toEqual({
      id: '00u2', username: null, email: null, phone: null, name: null, guest: null, disabled: false, failedAttempts: null, consecutiveFailures: null,
      lockedUntil: null, createdAt: null, updatedAt: null, locked: null, currentTac: null,
    });
    expect(toUserView(user('ACTIVE', { firstName: 'Al', lastName: 'Ng', primaryPhone: '+1 555' })).name).toBe('Al Ng');
    expect(toUserView(user('ACTIVE', { displayName: 'Dr Al', firstName: 'Al', primaryPhone: '+1 555' }))).toMatchObject({ name: 'Dr Al', phone: '+1 555' });
  });

  it('a suspended or deprovisioned user cannot receive a TAC (exit 5); others may', () => {
    for (const s of ['SUSPENDED', 'DEPROVISIONED']) expect(() => checkCanReceive(user(s), 'al')).toThrow(expect.objectContaining({ code: 'policy_violation' }));
    for (const s of ['ACTIVE', 'LOCKED_OUT', 'PASSWORD_EXPIRED', 'RECOVERY']) expect(() => checkCanReceive(user(s), 'al')).not.toThrow();
  });

  it('search: an email exactly by profile.email (quotes escaped), anything else by q=; at most 200 a page', () => {
    expect(decodeURIComponent(searchQuery('Al@Example.com', 50))).toBe('search=profile.email eq "al@example.com"&limit=50');
    expect(searchQuery('al', 500)).toBe('q=al&limit=200');
    expect(searchQuery(' ', 10)).toBe('limit=10');
  });
});

describe('okta TACs', () => {
  it('expiresAt without a zone is UTC; with one it is kept', () => {
    expect(utcTime('2025-05-12T22:43:30')).toBe('2025-05-12T22:43:30.000Z');
    expect(utcTime('2025-05-12T22:43:30+02:00')).toBe('2025-05-12T20:43:30.000Z');
    expect(utcTime(undefined)).toBeNull();
    expect(utcTime('soon')).toBeNull();
  });

  it('an enrollment is active until its expiry; what Okta does not say is null; its id is <user id>:<enrollment id>', () => {
    const now = Date.parse('2025-05-12T21:00:00Z');
    const e = { id: 'tac8k', type: 'tac', status: 'ACTIVE', created: '2025-05-12T20:43:30.000Z', profile: { multiUse: true, expiresAt: '2025-05-12T22:43:30' } };
    expect(toTac('00u1', e, now)).toEqual({
      id: '00u1:tac8k', userId: '00u1', status: 'active', createdAt: '2025-05-12T20:43:30.000Z', startsAt: '2025-05-12T20:43:30.000Z', expiresAt: '2025-05-12T22:43:30.000Z',
      oneTime: false, useCount: null, lastUsedAt: null, revokedAt: null, revokedReason: null, reason: null, createdBy: null,
    });
    expect(toTac('00u1', e, Date.parse('2025-05-12T23:00:00Z')).status).toBe('expired');
    expect(toTac('00u1', { id: 'x', type: 'tac', status: 'ACTIVE' }, now)).toMatchObject({ status: 'active', expiresAt: null, oneTime: null });
  });

  it('--ttl is checked against minTtl/maxTtl, naming them; the body is the guide\'s', () => {
    expect(() => checkTtl(9, { minTtl: 10, maxTtl: 720 })).toThrow('--ttl: 9 minutes is outside okta\'s TAC authenticator range of 10 to 720 minutes (minTtl, maxTtl)');
    expect(() => checkTtl(721, { minTtl: 10, maxTtl: 720 })).toThrow(TacError);
    expect(() => checkTtl(720, { minTtl: 10, maxTtl: 720 })).not.toThrow();
    expect(enrollmentBody('aut1', 60, false)).toEqual({ authenticatorId: 'aut1', authenticatorType: 'tac', config: { ttl: 60, multiUse: false } });
    expect(enrollmentBody('aut1', undefined, true)).toEqual({ authenticatorId: 'aut1', authenticatorType: 'tac', config: { multiUse: true } });
  });
});

describe('okta policy', () => {
  const auth: TacAuthenticator = {
    id: 'aut1', key: 'tac', name: 'Temporary Access Code', status: 'ACTIVE', created: 'x',
    provider: { type: 'TAC', configuration: { minTtl: 10, maxTtl: 720, defaultTtl: 480, length: 16, complexity: { numbers: true, letters: true, specialCharacters: false }, multiUseAllowed: true } },
  };

  it('shows what the authenticator has and leaves out the rest', () => {
    expect(toPolicyView(auth, true)).toEqual({ oneTimeDefault: true, requireAttestation: true, enabled: true, minTtl: 10, maxTtl: 720, defaultTtl: 480, length: 16, complexity: { numbers: true, letters: true, specialCharacters: false }, multiUseAllowed: true });
    expect(toPolicyView({ id: 'a', key: 'tac', status: 'INACTIVE' }, false)).toEqual({ oneTimeDefault: true, requireAttestation: false, enabled: false });
  });

  it('a patch keeps the whole authenticator, changes only the configuration, and is checked as Okta documents', () => {
    const next = applyPatch(auth, { maxTtl: 600, complexity: { specialCharacters: true } }, true);
    expect(next).toMatchObject({ id: 'aut1', name: 'Temporary Access Code', created: 'x', provider: { type: 'TAC', configuration: { maxTtl: 600, complexity: { numbers: true, letters: true, specialCharacters: true } } } });
    expect(auth.provider!.configuration!.maxTtl).toBe(720);
    const refused: [Parameters<typeof applyPatch>[1], string][] = [
      [{ maxTtl: 14_401 }, '--max-ttl: 14401 minutes is out of okta\'s range; allowed: 10 to 14400 minutes'],
      [{ minTtl: 9 }, '--min-ttl: 9 minutes is out of okta\'s range'],
      [{ length: 65 }, '--length: 65 is out of okta\'s range; allowed: 8 to 64'],
      [{ complexity: { numbers: false } }, 'complexity.numbers cannot be false'],
      [{ minTtl: 720 }, 'okta needs minTtl (720) below maxTtl (720)'],
      [{ defaultTtl: 800 }, '--default-ttl: 800 minutes is outside minTtl to maxTtl (10 to 720 minutes)'],
      [{ mixedCase: true }, 'okta does not offer setting mixedCase (tac policy set --mixed-case)'],
      [{ enabled: false }, 'okta does not offer setting enabled'],
      [{ requireAttestation: false }, 'use tac config set require-attestation'],
    ];
    for (const [patch, message] of refused) expect(() => applyPatch(auth, patch, true), JSON.stringify(patch)).toThrow(message);
  });

  it('what policy show prints can be given back unchanged (policy set --from-file), settings Okta lacks included', () => {
    const shown = toPolicyView(auth, false);
    expect(applyPatch(auth, shown as Parameters<typeof applyPatch>[1], false).provider).toEqual(auth.provider);
    expect(() => applyPatch(auth, { ...shown, requireAttestation: true } as Parameters<typeof applyPatch>[1], false)).toThrow('use tac config set require-attestation');
  });
});

describe('okta errors and rate limits', () => {
  const res = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status, headers: { 'x-okta-request-id': 'reqA1', ...headers }, contentType: 'application/json', text: JSON.stringify(body) });
  const okta = (code: string, summary: string, causes: string[] = []) => ({ errorCode: code, errorSummary: summary, errorLink: code, errorId: 'oae1', errorCauses: causes.map((c) => ({ errorSummary: c })) });
  const at = 'okta at https://dev-1.okta.com';

  it('waits X-Rate-Limit-Reset minus the response\'s Date plus a second (not the local clock); Retry-After without them', () => {
    const date = 'Wed, 02 Dec 2026 17:00:00 GMT';
    const reset = String(Date.parse(date) / 1000 + 30);
    expect(rateLimitWaitMs({ headers: { 'x-rate-limit-reset': reset, date } })).toBe(31_000);
    expect(rateLimitWaitMs({ headers: { 'x-rate-limit-reset': String(Date.parse(date) / 1000 - 5), date } })).toBe(1000);
    expect(rateLimitWaitMs({ headers: { 'retry-after': '7' } })).toBe(7000);
    expect(rateLimitWaitMs({ headers: {} })).toBeUndefined();
  });

  it('maps errorCode to tac\'s codes, with the summary and causes, the code and request id in details', () => {
    const v = apiError(res(400, okta('E0000001', 'Api validation failed: ttl', ['ttl: too long'])), 'issuing a TAC', at, 'api_token', { validation: 'policy_violation' });
    expect(v).toMatchObject({ code: 'policy_violation', message: `${at} refused issuing a TAC: Api validation failed: ttl; ttl: too long`, details: { providerCode: 'E0000001', requestId: 'reqA1' } });
    expect(apiError(res(400, okta('E0000001', 'x')), 'w', at, 'api_token', {}).code).toBe('invalid_value');
    expect(apiError(res(404, okta('E0000007', 'Not found')), 'w', at, 'api_token', { notFound: 'user "x" not found in okta' }).message).toBe('user "x" not found in okta');
    expect(apiError(res(401, okta('E0000011', 'Invalid token provided')), 'w', at, 'private_key', {}).message).toContain('refused the access token for w');
    const f = apiError(res(403, okta('E0000006', 'You do not have permission')), 'w', at, 'private_key', { scope: 'okta.users.manage', permission: 'perm.x' });
    expect(f).toMatchObject({ code: 'forbidden', message: `${at} refused w: You do not have permission: the app needs the scope okta.users.manage granted and an admin role with the permission perm.x` });
    expect(apiError(res(429, okta('E0000047', 'rate')), 'w', at, 'api_token', {}).code).toBe('rate_limited');
    expect(apiError(res(500, okta('E0000009', 'boom')), 'w', at, 'api_token', {}).message).toBe(`${at} failed w (HTTP 500, request id reqA1)`);
    expect(apiError(res(502, {}), 'w', at, 'api_token', {}).code).toBe('unreachable');
  });

  it('token endpoint: invalid_scope names the scopes (exit 4), invalid_client says what to check, DPoP refusals say DPoP', () => {
    const url = 'https://dev-1.okta.com/oauth2/v1/token';
    const scope = tokenError(res(400, { error: 'invalid_scope', error_description: 'The following scopes are not allowed: [okta.users.manage]' }), url, 'app1', ['okta.users.read', 'okta.users.manage']);
    expect(scope).toMatchObject({ code: 'forbidden', message: `okta at ${url} refused the scopes okta.users.read okta.users.manage for client app1: The following scopes are not allowed: [okta.users.manage]; grant them to the app (Okta API Scopes tab)` });
    expect(tokenError(res(401, { error: 'invalid_client', error_description: 'bad' }), url, 'app1', []).code).toBe('unauthenticated');
    expect(tokenError(res(400, { error: 'use_dpop_nonce' }), url, 'app1', []).message).toContain('requires DPoP');
  });
});
