import { describe, expect, it } from 'vitest';
import { connectHint, connectionUrl, displayDb, isPostgresUrl, redactUrl } from '../../src/store/postgres/pg.js';

describe('PostgreSQL URLs (src/store/postgres/pg.ts)', () => {
  it('a postgres:// or postgresql:// URL names PostgreSQL; anything else is a SQLite file', () => {
    for (const u of ['postgres://h/db', 'postgresql://u@h:5432/db', ' POSTGRES://h/db']) expect(isPostgresUrl(u), u).toBe(true);
    for (const u of ['tac.db', '/var/lib/tac/postgres.db', 'postgres:/x', 'file:postgres://x']) expect(isPostgresUrl(u), u).toBe(false);
  });

  it('never shows a password', () => {
    expect(redactUrl('postgres://tac:s3cret%2Fx@db:5432/tac?sslmode=verify-full')).toBe('postgres://tac:***@db:5432/tac?sslmode=verify-full');
    expect(displayDb('postgresql://tac:pw@db/tac')).not.toContain('pw');
    expect(displayDb('/data/tac.db')).toBe('/data/tac.db');
    expect(redactUrl('postgres://tac:pw@[bad')).not.toContain('pw');
  });

  it('passes verify-full for the modes node-postgres verifies anyway, and nothing else changes', () => {
    const base = 'postgres://tac:p%40ss@db.internal:5432/tac';
    for (const m of ['prefer', 'require', 'verify-ca']) {
      expect(connectionUrl(`${base}?sslmode=${m}`)).toBe(`${base}?sslmode=verify-full`);
      expect(connectionUrl(`${base}?application_name=x&sslmode=${m}&sslrootcert=/ca.pem`)).toBe(`${base}?application_name=x&sslmode=verify-full&sslrootcert=/ca.pem`);
    }
    for (const m of ['disable', 'no-verify', 'verify-full']) expect(connectionUrl(`${base}?sslmode=${m}`)).toBe(`${base}?sslmode=${m}`);
    // libpq's own semantics, asked for explicitly, are node-postgres's to apply.
    expect(connectionUrl(`${base}?uselibpqcompat=true&sslmode=require`)).toBe(`${base}?uselibpqcompat=true&sslmode=require`);
    expect(connectionUrl(base)).toBe(base);
  });

  it('names what to do about an untrusted certificate, a wrong host name, a server without TLS', () => {
    const err = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    expect(connectHint(err('SELF_SIGNED_CERT_IN_CHAIN'))).toContain('sslrootcert=');
    expect(connectHint(err('ERR_TLS_CERT_ALTNAME_INVALID'))).toContain('host in the URL');
    expect(connectHint(new Error('The server does not support SSL connections'))).toContain('sslmode=disable');
    expect(connectHint(err('ECONNREFUSED'))).toBe('');
  });
});
