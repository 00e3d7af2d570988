import { createHash, randomUUID } from 'node:crypto';
import { importModule } from '../../import-module.js';

type Jose = typeof import('jose');

/**
 * OAuth 2.0 DPoP (RFC 9449) for an Okta org whose service app requires it: a key pair made once
 * per process (never stored: a token bound to it is useless to anyone else, and to the next
 * process), and a proof JWT per request. Shapes as okta/okta-sdk-nodejs src/dpop.js sends them:
 * header {typ: "dpop+jwt", alg, jwk}; claims {htm, htu (no query), iat, jti, nonce?, ath?}.
 */
export class DpopKey {
  private constructor(
    private readonly jose: Jose,
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: Record<string, unknown>,
  ) {}

  static async create(): Promise<DpopKey> {
    const jose = await importModule<Jose>('jose');
    const { privateKey, publicKey } = await jose.generateKeyPair('ES256');
    const { kty, crv, x, y } = await jose.exportJWK(publicKey);
    return new DpopKey(jose, privateKey, { kty, crv, x, y });
  }

  /** A proof for one request; `accessToken` (resource requests) adds its hash as `ath`. */
  proof(method: string, url: string, opts: { nonce?: string; accessToken?: string; now: number }): Promise<string> {
    const u = new URL(url);
    const claims: Record<string, unknown> = {
      htm: method, htu: `${u.origin}${u.pathname}`, iat: Math.floor(opts.now / 1000), jti: randomUUID(),
      ...(opts.nonce ? { nonce: opts.nonce } : {}),
      ...(opts.accessToken ? { ath: createHash('sha256').update(opts.accessToken).digest('base64url') } : {}),
    };
    return new this.jose.SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: this.publicJwk }).sign(this.privateKey);
  }
}
