import { DEFAULT_TIMEOUTS, TIMEOUT_RANGE_MS } from '../../../server/connections.js';
import { parseTrustProxy } from '../../../server/proxy.js';
import { keyFilePath } from '../../../store/paths.js';
import { displayDb } from '../../../store/postgres/pg.js';
import { usageError } from '../../errors.js';
import { optInt, optString, optTimeout } from '../../parse.js';
import type { Handler } from '../../spec.js';
import { resolveTarget } from '../../target.js';

/** Serves the local database (--db, TAC_DB, a local profile or the default) until SIGTERM/SIGINT. */
export const run: Handler = async (ctx, { opts }) => {
  const target = resolveTarget({ ...ctx.globals, server: undefined }, { ...ctx.env, TAC_SERVER: undefined });
  if (target.kind !== 'local') throw usageError('tac serve serves a local database: pass --db PATH (the current profile is remote)', '--db');
  const { startServer } = await import('../../../server/start.js');
  const trustProxy = optString(opts, 'trustProxy');
  const timeout = (key: string, flag: string) => optTimeout(opts, key, flag, TIMEOUT_RANGE_MS.min, TIMEOUT_RANGE_MS.max);
  const server = await startServer({
    dbPath: target.dbPath,
    keyPath: keyFilePath(ctx.env),
    host: optString(opts, 'host') ?? '127.0.0.1',
    port: optInt(opts, 'port', '--port', 0, 65535) ?? 8787,
    tlsCert: optString(opts, 'tlsCert'),
    tlsKey: optString(opts, 'tlsKey'),
    // Each CLI run with TAC_CLIENT_ID/TAC_CLIENT_SECRET gets a new token: a busy CI job needs more.
    tokenRequestsPerMinute: optInt(opts, 'tokenRateLimit', '--token-rate-limit', 1, 1_000_000),
    // Unset: TAC_TRUST_PROXY, read by startServer from env.
    trustProxy: trustProxy === undefined ? undefined : parseTrustProxy('--trust-proxy', trustProxy),
    env: ctx.env,
    timeouts: {
      requestMs: timeout('requestTimeout', '--request-timeout') ?? DEFAULT_TIMEOUTS.requestMs,
      headersMs: timeout('headersTimeout', '--headers-timeout') ?? DEFAULT_TIMEOUTS.headersMs,
      keepAliveMs: timeout('keepAliveTimeout', '--keep-alive-timeout') ?? DEFAULT_TIMEOUTS.keepAliveMs,
    },
    poolSize: optInt(opts, 'poolSize', '--pool-size', 1, 1000),
    maxConnectionsPerAddress: optInt(opts, 'maxConnectionsPerAddress', '--max-connections-per-address', 1, 1_000_000),
    stderr: ctx.io.stderr,
    handleSignals: true,
  });
  if (ctx.globals.json) ctx.json({ url: server.url, db: displayDb(target.dbPath) });
  else ctx.print(`${server.url}\n`);
  await new Promise<void>(() => undefined); // runs until a signal ends the process
};
