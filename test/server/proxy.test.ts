import { describe, expect, it } from 'vitest';
import { parseTrustProxy, trustProxyFromEnv } from '../../src/server/proxy.js';

describe('--trust-proxy / TAC_TRUST_PROXY', () => {
  it('takes the proxies as comma-separated addresses, CIDR ranges and proxy-addr\'s named ranges', () => {
    expect(parseTrustProxy('--trust-proxy', '127.0.0.1')).toEqual(['127.0.0.1']);
    expect(parseTrustProxy('--trust-proxy', ' 127.0.0.1, 10.0.0.0/8 ,::1,fd00::/8,loopback,uniquelocal')).toEqual(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback', 'uniquelocal']);
  });

  it('refuses "every peer" in any spelling, hop counts and anything that is not an address (exit 2, naming the source)', () => {
    for (const bad of ['true', 'false', '1', '2', '*', '0.0.0.0/0', '::/0', '10.0.0.0/33', '::1/129', '10.0.0.0/8/1', '10.0.0.0/x', 'proxy.example.com', '127.0.0.1,', '', '999.1.1.1']) {
      let e: { code?: string; exitCode?: number; message?: string } = {};
      try {
        parseTrustProxy('--trust-proxy', bad);
      } catch (x) {
        e = x as typeof e;
      }
      expect(e, bad).toMatchObject({ code: 'invalid_value', exitCode: 2 });
      expect(e.message, bad).toMatch(/^--trust-proxy: ".*" is not allowed; list the proxies' addresses or CIDR ranges.*a client could forge its address$/);
    }
    expect(() => trustProxyFromEnv({ TAC_TRUST_PROXY: 'true' })).toThrow(/^TAC_TRUST_PROXY: "true" is not allowed/);
  });

  it('reads TAC_TRUST_PROXY; unset or empty trusts no proxy', () => {
    expect(trustProxyFromEnv({ TAC_TRUST_PROXY: '10.0.0.0/8' })).toEqual(['10.0.0.0/8']);
    expect(trustProxyFromEnv({ TAC_TRUST_PROXY: '  ' })).toBeUndefined();
    expect(trustProxyFromEnv({})).toBeUndefined();
  });
});
