// The Okta fake's credential checks (see okta-server.mjs): API tokens, private_key_jwt client
// assertions and DPoP proofs, each refused as Okta documents it.
//  - private_key_jwt: developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/ (JWT claims:
//    aud = the token URL, iss = sub = client id, exp at most 1 hour ahead, jti; header kid) and
//    okta/okta-sdk-nodejs src/jwt.js and src/oauth.js (form fields, scope list).
//  - DPoP: developer.okta.com/docs/guides/dpop/ and RFC 9449 (proof header typ dpop+jwt with the
//    public jwk; claims htm, htu, iat, jti, nonce, ath; 400 invalid_dpop_proof without a proof,
//    400 use_dpop_nonce + DPoP-Nonce header until a proof carries the nonce; RFC 9449 §9 for a
//    resource server's 401 with WWW-Authenticate: DPoP error="use_dpop_nonce"). okta-sdk-nodejs
//    src/dpop.js builds the same proof.
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, importJWK, jwtVerify } from 'jose';

/** The public key a service app registered: a PEM (SPKI or certificate) file or a JWK JSON file. */
export async function loadPublicKey(file) {
  if (!file) return undefined;
  const text = readFileSync(file, 'utf8');
  if (text.trim().startsWith('{')) {
    const jwk = JSON.parse(text);
    return { key: await importJWK(jwk, jwk.alg ?? (jwk.kty === 'EC' ? 'ES256' : 'RS256')), kid: jwk.kid };
  }
  return { key: createPublicKey(text), kid: undefined };
}

const seen = new Set(); // every jti seen (assertions and proofs): never accepted twice
const firstUse = (jti) => typeof jti === 'string' && jti !== '' && !seen.has(jti) && (seen.add(jti), true);

/**
 * A client assertion, or the reason Okta would give for refusing it (error_description).
 * `kid`: when the app's key has a key id, the assertion's header must name it.
 */
export async function checkAssertion(assertion, { publicKey, clientId, tokenUrl, kid }) {
  if (!publicKey) return 'The client has no public key registered.';
  let payload;
  try {
    const header = decodeProtectedHeader(assertion);
    if (kid && header.kid !== kid) return `The client_assertion kid ${header.kid ?? '(none)'} does not match a registered key.`;
    ({ payload } = await jwtVerify(assertion, publicKey, { audience: tokenUrl, issuer: clientId, subject: clientId, algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'], clockTolerance: 5 }));
  } catch (e) {
    return `The client_assertion is invalid: ${e.code ?? e.message}`;
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.exp !== 'number') return 'The client_assertion token has no expiration (exp).';
  if (payload.exp > now + 3600 + 5) return 'The client_assertion token has an expiration too far in the future.';
  if (!firstUse(payload.jti)) return 'The client_assertion token has a missing or reused jti.';
  return undefined;
}

/** The base64url SHA-256 of an access token: a DPoP proof's `ath`. */
export const tokenHash = (token) => createHash('sha256').update(token).digest('base64url');

export const newNonce = () => randomBytes(12).toString('base64url');

/**
 * A DPoP proof for this request: {jkt} (the key's thumbprint) or {error} (why it is refused).
 * `nonce`: the nonce the proof must carry (undefined: none needed); `accessToken`: its `ath`.
 */
export async function checkProof(proof, { method, url, nonce, accessToken }) {
  if (typeof proof !== 'string' || !proof) return { error: 'invalid_dpop_proof', description: 'The DPoP proof JWT header is missing.' };
  let payload;
  let header;
  try {
    ({ payload, protectedHeader: header } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['RS256', 'ES256', 'ES384', 'PS256'] }));
  } catch (e) {
    return { error: 'invalid_dpop_proof', description: `The DPoP proof is invalid: ${e.code ?? e.message}` };
  }
  if (header.jwk.d !== undefined) return { error: 'invalid_dpop_proof', description: 'The DPoP proof jwk must be a public key.' };
  const u = new URL(url);
  if (payload.htm !== method) return { error: 'invalid_dpop_proof', description: `DPoP proof htm ${payload.htm} does not match ${method}.` };
  if (payload.htu !== `${u.origin}${u.pathname}`) return { error: 'invalid_dpop_proof', description: `DPoP proof htu ${payload.htu} does not match the request URL.` };
  if (typeof payload.iat !== 'number' || Math.abs(payload.iat - Date.now() / 1000) > 300) return { error: 'invalid_dpop_proof', description: 'DPoP proof iat is missing or not recent.' };
  if (accessToken !== undefined && payload.ath !== tokenHash(accessToken)) return { error: 'invalid_dpop_proof', description: 'DPoP proof ath does not match the access token.' };
  if (nonce !== undefined && payload.nonce !== nonce) return { error: 'use_dpop_nonce', description: 'Authorization server requires nonce in DPoP proof.' };
  if (!firstUse(payload.jti)) return { error: 'invalid_dpop_proof', description: 'DPoP proof jti is missing or was already used.' };
  return { jkt: await calculateJwkThumbprint(header.jwk) };
}
