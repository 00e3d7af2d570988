import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRun, localDirs, runTac } from '../e2e/helpers/tac.js';
// @ts-ignore plain JavaScript (shared with the benchmarks)
import { startPgCluster, TEST_SETTINGS } from './cluster-lib.mjs';
import { describePg } from './db.js';

/**
 * TLS to PostgreSQL, as a deployment across machines needs it: a private cluster that accepts
 * only TLS connections (pg_hba `hostssl`), with a certificate for `localhost` signed by a test CA.
 * sslmode= is read by node-postgres, whose require/verify-ca/verify-full all verify the server's
 * certificate and name (stricter than libpq's `require`); `no-verify` encrypts without verifying.
 */
describePg('PostgreSQL over TLS (sslmode=)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tac-pg-tls-'));
  const ca = join(dir, 'ca.pem');
  let cluster: { url: string; port: number; stop(): void };
  let base = '';
  const env = localDirs(join(dir, 'client')).env;
  const policyShow = (url: string, extra: Record<string, string> = {}) => runTac(['policy', 'show', '--json', '--db', url], { ...env, ...extra });

  beforeAll(async () => {
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=tac test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost\n');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'server.crt');
    // PostgreSQL refuses a key file others can read, and as root the server runs as `postgres`.
    chmodSync(join(dir, 'server.key'), 0o600);
    chmodSync(dir, 0o755);
    if (userInfo().uid === 0) {
      const id = (f: string) => Number(execFileSync('id', [f, 'postgres']).toString());
      for (const f of ['server.key', 'server.crt']) chownSync(join(dir, f), id('-u'), id('-g'));
    }
    cluster = await startPgCluster({
      prefix: 'tac-pg-tls-data-',
      settings: [...TEST_SETTINGS, 'ssl = on', `ssl_cert_file = '${join(dir, 'server.crt')}'`, `ssl_key_file = '${join(dir, 'server.key')}'`],
      beforeStart: (data: string) => writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n'),
    });
    base = `postgresql://postgres@localhost:${cluster.port}/postgres`;
  }, 60_000);
  afterAll(() => {
    cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verify-full with the CA (sslrootcert=) connects, and tac works over it', async () => {
    const r = await policyShow(`${base}?sslmode=verify-full&sslrootcert=${ca}`);
    expect(r.code, describeRun(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('maxFailedAttempts');
    expect(r.stderr).toBe('');
  });

  it('require without the CA is refused: the certificate is verified (one line, exit 7, and how to trust it)', async () => {
    const r = await policyShow(`${base}?sslmode=require`);
    expect(r.code, describeRun(r)).toBe(7);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/certificate/i);
    expect(r.stderr).toContain('sslrootcert=');
    expect(r.stderr).not.toMatch(/SECURITY WARNING|^\s+at /m);
  });

  it('a host name the certificate does not name is refused under verify-full', async () => {
    const r = await policyShow(`postgresql://postgres@127.0.0.1:${cluster.port}/postgres?sslmode=verify-full&sslrootcert=${ca}`);
    expect(r.code, describeRun(r)).toBe(7);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('not a name the server\'s certificate holds');
  });

  it('no-verify encrypts without verifying; PGSSLMODE=no-verify does the same', async () => {
    const r = await policyShow(`${base}?sslmode=no-verify`);
    expect(r.code, describeRun(r)).toBe(0);
    const e = await policyShow(base, { PGSSLMODE: 'no-verify' });
    expect(e.code, describeRun(e)).toBe(0);
  });

  it('sslmode=disable against a server that requires TLS: one line naming the refusal, exit 7', async () => {
    const r = await policyShow(`${base}?sslmode=disable`);
    expect(r.code, describeRun(r)).toBe(7);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no pg_hba\.conf entry|SSL off/i);
  });
});
