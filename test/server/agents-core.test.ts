import { describe, expect, it } from 'vitest';
import {
  checkAgentName, checkRole, grantScopes, hashSecret, hashToken, newAccessToken, newClientId, newClientSecret, ROLE_SCOPES, ROLES, SCOPES,
  scopeRefusal, verifySecret,
} from '../../src/core/agents.js';
import { TacError } from '../../src/core/errors.js';

describe('role → scope table', () => {
  it('grants exactly the documented scopes', () => {
    expect(ROLE_SCOPES.helpdesk).toEqual(['users:read', 'users:unlock', 'tacs:read', 'tacs:write']);
    expect(ROLE_SCOPES.provisioner).toEqual(['users:read', 'guests:write']);
    expect(ROLE_SCOPES.app).toEqual(['tacs:verify']);
    expect([...ROLE_SCOPES.admin].sort()).toEqual([...SCOPES].sort());
    expect(ROLE_SCOPES.admin).toEqual(expect.arrayContaining(['users:write', 'policy:read', 'policy:write', 'audit:read', 'agents:write']));
    expect(ROLES).toEqual(['helpdesk', 'provisioner', 'admin', 'app']);
  });

  it('narrows a scope parameter to the role and refuses anything else', () => {
    expect(grantScopes('helpdesk', undefined)).toEqual({ ok: true, scopes: [...ROLE_SCOPES.helpdesk] });
    expect(grantScopes('helpdesk', '  ')).toEqual({ ok: true, scopes: [...ROLE_SCOPES.helpdesk] });
    expect(grantScopes('helpdesk', 'tacs:write users:read tacs:write')).toEqual({ ok: true, scopes: ['users:read', 'tacs:write'] });
    expect(grantScopes('helpdesk', 'policy:write')).toEqual({ ok: false, reason: 'the helpdesk role does not grant policy:write' });
    expect(grantScopes('admin', 'users:read nonsense')).toEqual({ ok: false, reason: 'unknown scope "nonsense"' });
  });

  it('explains a refusal by role or by narrowed token', () => {
    expect(scopeRefusal('helpdesk', ROLE_SCOPES.helpdesk, 'policy:write')).toBe('your role (helpdesk) lacks policy:write');
    expect(scopeRefusal('helpdesk', ['users:read'], 'tacs:write')).toMatch(/^your token lacks tacs:write/);
    expect(scopeRefusal('app', ['tacs:verify'], 'tacs:verify')).toBeUndefined();
  });

  it('validates roles and names', () => {
    expect(checkRole('app')).toBe('app');
    expect(() => checkRole('root')).toThrow(TacError);
    expect(checkAgentName(' kiosk-1 ')).toBe('kiosk-1');
    for (const bad of ['', ' ', '-x', 'a b', 'x'.repeat(65), 'a:b', 42]) expect(() => checkAgentName(bad)).toThrow(/--name/);
  });
});

describe('secrets and tokens', () => {
  it('generates distinct high-entropy values with recognisable prefixes', () => {
    const ids = new Set(Array.from({ length: 50 }, newClientId));
    const secrets = new Set(Array.from({ length: 50 }, newClientSecret));
    expect(ids.size).toBe(50);
    expect(secrets.size).toBe(50);
    expect(newClientId()).toMatch(/^agt_[a-z2-7]{16}$/);
    expect(newClientSecret()).toMatch(/^tacsec_[A-Za-z0-9_-]{43}$/);
    expect(newAccessToken()).toMatch(/^tacat_[A-Za-z0-9_-]{43}$/);
  });

  it('hashes secrets with salted scrypt and verifies only the right one', async () => {
    const secret = newClientSecret();
    const h1 = await hashSecret(secret);
    const h2 = await hashSecret(secret);
    expect(h1).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(h1).not.toBe(h2);
    expect(h1).not.toContain(secret);
    expect(await verifySecret(secret, h1)).toBe(true);
    expect(await verifySecret(`${secret}x`, h1)).toBe(false);
    expect(await verifySecret(secret, 'plain')).toBe(false);
    expect(await verifySecret(secret, 'scrypt$abc$8$1$AA$AA')).toBe(false);
  });

  it('hashes tokens with SHA-256', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
