import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveTarget } from '../../src/cli/target.js';
import type { Globals } from '../../src/cli/context.js';

/** Which provider a command talks to: profile, TAC_PROVIDER / TAC_TOKEN_URL over it, tac serve by default. */

const root = mkdtempSync(join(tmpdir(), 'tac-target-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const globals = (g: Partial<Globals> = {}): Globals => ({ json: false, color: false, debug: false, ...g });
function envWith(profiles: Record<string, unknown>, extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(root, 'cfg-'));
  mkdirSync(join(dir, 'tac'), { recursive: true });
  writeFileSync(join(dir, 'tac', 'config.json'), JSON.stringify({ currentProfile: 'default', profiles }));
  return { XDG_CONFIG_HOME: dir, XDG_DATA_HOME: join(dir, 'data'), HOME: dir, ...extra };
}

describe('resolveTarget and providers', () => {
  it('a server without a provider is tac serve, with no token URL', () => {
    const t = resolveTarget(globals({ server: 'https://tac.example.com' }), envWith({}));
    expect(t).toMatchObject({ kind: 'remote', provider: 'tac', requireAttestation: true });
    expect(t).not.toHaveProperty('tokenUrl');
  });

  it('a mosaic profile: provider, default token URL {server}/oidc/token, attestation as the profile says', () => {
    const env = envWith({ default: { type: 'remote', server: 'https://api.transmitsecurity.io', clientId: 'c', provider: 'mosaic', requireAttestation: false } });
    expect(resolveTarget(globals(), env)).toMatchObject({
      kind: 'remote', provider: 'mosaic', tokenUrl: 'https://api.transmitsecurity.io/oidc/token', clientId: 'c', requireAttestation: false, profile: 'default',
    });
  });

  it('the environment takes precedence: TAC_PROVIDER, TAC_SERVER, TAC_TOKEN_URL, TAC_CLIENT_ID', () => {
    const env = envWith({ default: { type: 'remote', server: 'https://tac.example.com', clientId: 'agt_x' } }, {
      TAC_PROVIDER: 'Mosaic', TAC_SERVER: 'https://api.eu.transmitsecurity.io', TAC_TOKEN_URL: 'https://login.example.com/token', TAC_CLIENT_ID: 'ci', TAC_CLIENT_SECRET: 's',
    });
    expect(resolveTarget(globals(), env)).toMatchObject({
      provider: 'mosaic', server: 'https://api.eu.transmitsecurity.io', tokenUrl: 'https://login.example.com/token', clientId: 'ci', envSecret: 's', requireAttestation: true,
    });
  });

  it('refuses a provider it does not support, naming the supported ones; TAC_PROVIDER alone needs a server', () => {
    expect(() => resolveTarget(globals(), envWith({}, { TAC_PROVIDER: 'onelogin', TAC_SERVER: 'https://x.onelogin.com' })))
      .toThrow('TAC_PROVIDER: "onelogin" is not a supported provider; use one of tac, mosaic, okta, entra');
    expect(() => resolveTarget(globals(), envWith({}, { TAC_PROVIDER: 'mosaic' }))).toThrow(/TAC_PROVIDER=mosaic needs TAC_SERVER/);
    // Nothing configured at all: still the local database.
    expect(resolveTarget(globals(), envWith({})).kind).toBe('local');
  });
});
