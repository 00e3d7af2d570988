import { createHash, createPrivateKey, randomUUID, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { invalid } from '../core/errors.js';
import { importModule } from '../import-module.js';

/*
 * JWT client assertions (RFC 7523, "private_key_jwt"): how an Okta service app and an Entra app
 * with a certificate prove who they are. Signing is jose's, not hand-rolled; the key stays in the
 * user's own file and in memory, and tac never writes it anywhere.
 */

export interface SigningKey {
  key: KeyObject;
  alg: 'RS256' | 'ES256';
  /** The file it came from, for messages. */
  file: string;
  /** A certificate in the same PEM file (Entra identifies a certificate credential by it). */
  certificate?: X509Certificate;
}

const CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** A PEM private key (PKCS#8, or PKCS#1 / SEC1), with its certificate when the file holds one. */
export function readSigningKey(file: string, field = '--private-key-file'): SigningKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw invalid(field, `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch {
    throw invalid(field, `${file} holds no PEM private key ("BEGIN PRIVATE KEY", "BEGIN RSA PRIVATE KEY" or "BEGIN EC PRIVATE KEY"; unencrypted)`);
  }
  const alg = algorithmOf(key, file, field);
  const pem = CERT_RE.exec(text)?.[0];
  if (!pem) return { key, alg, file };
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw invalid(field, `${file} holds a certificate that cannot be read`);
  }
  if (!certificate.checkPrivateKey(key)) throw invalid(field, `the certificate in ${file} is not the private key's`);
  return { key, alg, file, certificate };
}

function algorithmOf(key: KeyObject, file: string, field: string): SigningKey['alg'] {
  if (key.asymmetricKeyType === 'rsa') {
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw invalid(field, `the RSA key in ${file} is shorter than 2048 bits`);
    return 'RS256';
  }
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw invalid(field, `${file} holds a ${key.asymmetricKeyType ?? 'unknown'} key; use RSA (2048 bits or more) or EC P-256`);
}

export interface AssertionClaims {
  clientId: string;
  /** The token endpoint's URL. */
  audience: string;
  /** Milliseconds since the epoch. */
  now: number;
  /** Okta: the key's id among the app's keys. */
  keyId?: string;
  /** Entra: name the certificate by its thumbprints (x5t#S256, and x5t for older tenants). */
  x5t?: boolean;
}

/** Lifetime of an assertion: it is used at once; Okta allows at most an hour, its SDK uses 5 min. */
const ASSERTION_SECONDS = 300;

export async function signClientAssertion(k: SigningKey, c: AssertionClaims): Promise<string> {
  const { SignJWT } = await importModule<typeof import('jose')>('jose');
  const iat = Math.floor(c.now / 1000);
  const header: Record<string, string> = { alg: k.alg, typ: 'JWT' };
  if (c.keyId) header.kid = c.keyId;
  if (c.x5t) {
    if (!k.certificate) throw invalid('--private-key-file', `${k.file} holds no certificate; a certificate credential needs the certificate beside its key in the same PEM file`);
    header['x5t#S256'] = thumbprint(k.certificate, 'sha256');
    header.x5t = thumbprint(k.certificate, 'sha1');
  }
  return new SignJWT({})
    .setProtectedHeader(header as { alg: string })
    .setIssuer(c.clientId)
    .setSubject(c.clientId)
    .setAudience(c.audience)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + ASSERTION_SECONDS)
    .setJti(randomUUID())
    .sign(k.key);
}

export const thumbprint = (cert: X509Certificate, hash: 'sha1' | 'sha256'): string => createHash(hash).update(cert.raw).digest('base64url');
