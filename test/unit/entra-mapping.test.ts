import { describe, expect, it } from 'vitest';
import { checkIssue } from '../../src/backends/entra/issue-rules.js';
import { passStatus, passTimes, toListedTac } from '../../src/backends/entra/passes.js';
import { patchBody, toPolicyView, type EntraPolicy } from '../../src/backends/entra/policy.js';
import { tokenError, tokenRoles } from '../../src/backends/entra/token.js';
import { odataString, searchFilter, toUserView } from '../../src/backends/entra/users.js';
import type { HttpResponse } from '../../src/backends/remote-http.js';

/** How Graph's and the identity platform's shapes become tac's, with an injected clock. */

const NOW = Date.parse('2026-03-01T12:00:00Z');
const POLICY: EntraPolicy = { state: 'enabled', defaultLifetimeInMinutes: 60, defaultLength: 8, minimumLifetimeInMinutes: 60, maximumLifetimeInMinutes: 480, isUsableOnce: false };

describe('entra users', () => {
  it('maps a Graph user onto UserView: UPN as username, mobile then business phone, Guest/Member, disabled; no invented fields', () => {
    expect(toUserView({
      id: 'u1', displayName: 'Alice Smith', userPrincipalName: 'alice@contoso.com', mail: 'alice@contoso.com', mobilePhone: null,
      businessPhones: ['+1 555 020 2020'], accountEnabled: false, userType: 'Guest', createdDateTime: '2026-01-05T09:00:00Z',
    })).toEqual({
      id: 'u1', username: 'alice@contoso.com', email: 'alice@contoso.com', phone: '+1 555 020 2020', name: 'Alice Smith', guest: true, disabled: true,
      failedAttempts: null, consecutiveFailures: null, lockedUntil: null, createdAt: '2026-01-05T09:00:00Z', updatedAt: null,
    });
    expect(toUserView({ id: 'u2' })).toMatchObject({ username: null, email: null, phone: null, name: null, guest: null, disabled: false, createdAt: null });
  });

  it('doubles single quotes in OData strings; a whole email is matched exactly, anything else by prefix', () => {
    expect(odataString("o'brien")).toBe("'o''brien'");
    expect(searchFilter(" bob@contoso.com ")).toBe("mail eq 'bob@contoso.com' or userPrincipalName eq 'bob@contoso.com'");
    expect(searchFilter("Pat O'B")).toBe("startswith(displayName,'Pat O''B') or startswith(userPrincipalName,'Pat O''B') or startswith(mail,'Pat O''B')");
    expect(searchFilter('  ')).toBeUndefined();
  });
});

describe('entra passes', () => {
  const pass = { id: 'p1', createdDateTime: '2026-03-01T11:00:00Z', startDateTime: '2026-03-01T11:30:00Z', lifetimeInMinutes: 60, isUsableOnce: true };

  it('status from methodUsabilityReason; an unknown reason falls back to the times', () => {
    const by = (methodUsabilityReason: string) => passStatus({ ...pass, methodUsabilityReason }, NOW);
    expect([by('EnabledByPolicy'), by('NotYetValid'), by('Expired'), by('OneTimeUsed'), by('DisabledByPolicy')]).toEqual(['active', 'pending', 'expired', 'used', 'revoked']);
    expect(by('SomethingNew')).toBe('active');
    expect(passStatus({ ...pass, methodUsabilityReason: 'SomethingNew' }, Date.parse('2026-03-01T12:30:00Z'))).toBe('expired');
    expect(passStatus({ ...pass, methodUsabilityReason: null }, Date.parse('2026-03-01T11:10:00Z'))).toBe('pending');
  });

  it('expiry is start + lifetime (start is creation when none was set); a listed pass is `${userId}:${passId}` with nulls for what Graph does not say', () => {
    expect(passTimes(pass)).toEqual({ startsAt: '2026-03-01T11:30:00.000Z', expiresAt: '2026-03-01T12:30:00.000Z' });
    expect(passTimes({ id: 'p', createdDateTime: '2026-03-01T11:00:00Z', lifetimeInMinutes: 10 }).expiresAt).toBe('2026-03-01T11:10:00.000Z');
    expect(passTimes({ id: 'p' })).toEqual({ startsAt: null, expiresAt: null });
    const user = { id: 'u1', username: 'alice@contoso.com', email: null, name: 'Alice', guest: false };
    expect(toListedTac('u1', { ...pass, methodUsabilityReason: 'EnabledByPolicy' }, user, NOW)).toEqual({
      id: 'u1:p1', userId: 'u1', status: 'active', createdAt: '2026-03-01T11:00:00Z', startsAt: '2026-03-01T11:30:00.000Z', expiresAt: '2026-03-01T12:30:00.000Z',
      oneTime: true, useCount: null, lastUsedAt: null, revokedAt: null, revokedReason: null, reason: null, createdBy: null, user,
    });
  });
});

describe('entra issue rules', () => {
  it('--ttl within Graph\'s 10–43200 always and within the tenant policy when readable, bounds named; multi-use refused when the policy forces one-time', () => {
    const refused = (input: Parameters<typeof checkIssue>[0], policy?: EntraPolicy) => {
      try {
        checkIssue(input, policy, NOW);
      } catch (e) {
        return [(e as { code: string }).code, (e as Error).message];
      }
      return undefined;
    };
    expect(refused({ user: 'a', ttl: 5 })).toEqual(['policy_violation', '--ttl: 5 minutes is outside what Entra allows for a Temporary Access Pass: 10 to 43200 minutes']);
    expect(refused({ user: 'a', ttl: 30 }, POLICY)).toEqual(['policy_violation', "--ttl: 30 minutes is outside the tenant's Temporary Access Pass policy: 60 to 480 minutes"]);
    expect(refused({ user: 'a', ttl: 30 })).toBeUndefined(); // policy unreadable: Graph checks
    expect(refused({ user: 'a', ttl: 480, oneTime: false }, POLICY)).toBeUndefined();
    expect(refused({ user: 'a', oneTime: false }, { ...POLICY, isUsableOnce: true })?.[1]).toMatch(/^--multi-use: .*one-time passes only/);
    expect(refused({ user: 'a' }, { ...POLICY, state: 'disabled' })?.[0]).toBe('policy_violation');
    expect(refused({ user: 'a', startsAt: '2026-03-01T10:00:00Z' })).toEqual(['invalid_value', '--starts-at: must not be in the past']);
  });
});

describe('entra policy', () => {
  it('maps the TAP configuration onto tac\'s fields; what Entra lacks is left out', () => {
    expect(toPolicyView(POLICY, true)).toEqual({
      enabled: true, minTtl: 60, maxTtl: 480, defaultTtl: 60, length: 8, multiUseAllowed: true, oneTimeDefault: true, requireAttestation: true,
    });
    expect(toPolicyView({}, true)).toEqual({ oneTimeDefault: true, requireAttestation: true });
    expect(toPolicyView({ ...POLICY, state: 'disabled', isUsableOnce: true }, false)).toMatchObject({ enabled: false, multiUseAllowed: false, requireAttestation: false });
  });

  it('builds the PATCH body with @odata.type; refuses settings Entra lacks, out-of-range values and min > default > max, naming the flag', () => {
    expect(patchBody({ enabled: false, multiUseAllowed: false, length: 12, maxTtl: 600 }, POLICY)).toEqual({
      '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration', state: 'disabled', isUsableOnce: true, defaultLength: 12, maximumLifetimeInMinutes: 600,
    });
    const message = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return `${(e as { code: string }).code}: ${(e as Error).message}`;
      }
      return 'accepted';
    };
    expect(message(() => patchBody({ maxFailedAttempts: 5 }, POLICY))).toBe('unsupported: entra does not offer setting maxFailedAttempts (tac policy set --max-failed-attempts); Entra applies its own sign-in lockout (Smart Lockout)');
    expect(message(() => patchBody({ complexity: { letters: false } }, POLICY))).toMatch(/^unsupported: entra does not offer setting complexity/);
    expect(message(() => patchBody({ length: 6 }, POLICY))).toBe('invalid_value: --length: 6 is out of range; Entra allows 8 to 48');
    expect(message(() => patchBody({ minTtl: 5 }, POLICY))).toBe('invalid_value: --min-ttl: 5 minutes is out of range; Entra allows 10 to 43200 minutes (30d)');
    expect(message(() => patchBody({ minTtl: 600 }, POLICY))).toBe('invalid_value: --min-ttl: 600 minutes is above the maximum lifetime (480 minutes)');
    expect(message(() => patchBody({ defaultTtl: 30 }, POLICY))).toBe('invalid_value: --default-ttl: 30 minutes must be between the minimum and maximum lifetimes (60 to 480 minutes)');
    expect(message(() => patchBody({ minTtl: 20, defaultTtl: 30 }, POLICY))).toBe('accepted');
    // What tac shows may come back unchanged (a policy show --json file); a change is refused.
    const shown = toPolicyView(POLICY, true);
    expect(patchBody({ oneTimeDefault: true, requireAttestation: true, length: 9 }, POLICY, shown)).toEqual({ '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration', defaultLength: 9 });
    expect(message(() => patchBody({ requireAttestation: false }, POLICY, shown))).toMatch(/^unsupported: entra does not offer setting requireAttestation .*tac config set require-attestation/);
  });
});

describe('entra token', () => {
  const res = (status: number, body: unknown): HttpResponse => ({ status, headers: {}, contentType: 'application/json', text: JSON.stringify(body) });
  const aad = (code: number, text: string) => ({ error: 'invalid_client', error_description: `AADSTS${code}: ${text}\r\nTrace ID: x\r\nCorrelation ID: y`, error_codes: [code] });

  it('names the AADSTS code and what to do, on one line, exit 4; never quotes a secret', () => {
    const e = tokenError(res(401, aad(7000215, 'Invalid client secret provided.')), 'app-1', 'https://login.example/t/oauth2/v2.0/token', []);
    expect([e.code, e.exitCode]).toEqual(['unauthenticated', 4]);
    expect(e.message).toBe("entra at https://login.example/t/oauth2/v2.0/token refused a token for app app-1 (AADSTS7000215): the client secret is wrong: use the secret's Value, not its Secret ID (Certificates & secrets)");
    expect(tokenError(res(400, aad(700016, 'Application not found.')), 'a', 'u', []).message).toContain('(AADSTS700016): no app with this client id in the tenant');
    expect(tokenError(res(400, aad(90002, 'Tenant not found.')), 'a', 'u', []).message).toContain('(AADSTS90002): no such tenant');
    const other = tokenError(res(400, aad(50000, 'Something with s3cret inside.')), 'a', 'u', ['s3cret']);
    expect(other.message).toBe('entra at u refused a token for app a (AADSTS50000): Something with [redacted] inside.');
  });

  it('reads the roles claim of an access token without verifying it; anything else has none', () => {
    const payload = Buffer.from(JSON.stringify({ roles: ['User.Read.All', 7] })).toString('base64url');
    expect(tokenRoles(`h.${payload}.s`)).toEqual(['User.Read.All']);
    expect(tokenRoles('opaque')).toEqual([]);
  });
});
