import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway RSA key and self-signed certificate for Entra certificate credentials, made by
 * openssl as README tells an admin to: `pem` holds the key and the certificate (tac reads both
 * from one file), `certPem` the certificate alone (what is uploaded to the app registration).
 */
export function makeCertificate(): { dir: string; file: string; certPem: string; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tac-entra-cert-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=tac-test', '-days', '2'], { stdio: 'ignore' });
  const keyPem = readFileSync(key, 'utf8');
  const certPem = readFileSync(cert, 'utf8');
  const file = join(dir, 'cert-and-key.pem');
  writeFileSync(file, keyPem + certPem, { mode: 0o600 });
  return { dir, file, certPem, keyPem };
}
