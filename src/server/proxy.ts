import { isIP } from 'node:net';
import { truncate } from '../core/duration.js';
import { invalid } from '../core/errors.js';

/**
 * The peers that may set the client address with X-Forwarded-For (Fastify's `trustProxy`): the
 * proxies' addresses and CIDR ranges. Never "every peer" (true), nor a hop count (Fastify 5 no
 * longer honours one): neither checks who the immediate peer is, so a client connecting directly
 * could forge any address and escape the per-address limits.
 */
export type TrustProxy = string[];

/** proxy-addr's named ranges (loopback: 127.0.0.0/8 and ::1). */
const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** Parses `--trust-proxy` / TAC_TRUST_PROXY; `field` names where the value came from. */
export function parseTrustProxy(field: string, raw: string): TrustProxy {
  const entries = raw.split(',').map((e) => e.trim());
  if (entries.every(isProxyEntry)) return entries;
  throw invalid(field, `"${truncate(raw)}" is not allowed; list the proxies' addresses or CIDR ranges, comma-separated (e.g. 127.0.0.1,10.0.0.0/8, or loopback); not true or a hop count: a client could forge its address`);
}

/** TAC_TRUST_PROXY, read like the other serve settings; empty or unset means no proxy is trusted. */
export function trustProxyFromEnv(env: Record<string, string | undefined>): TrustProxy | undefined {
  const raw = env.TAC_TRUST_PROXY?.trim();
  return raw ? parseTrustProxy('TAC_TRUST_PROXY', raw) : undefined;
}

function isProxyEntry(entry: string): boolean {
  if (NAMED_RANGES.includes(entry)) return true;
  const [addr, prefix, extra] = entry.split('/');
  const family = isIP(addr ?? '');
  if (!family || extra !== undefined) return false;
  if (prefix === undefined) return true;
  // Not /0: that is every peer again (and proxy-addr refuses it).
  return /^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= (family === 4 ? 32 : 128);
}
