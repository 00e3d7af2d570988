import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { LocalBackend } from '../backends/local.js';
import { openEngineBackend } from '../backends/open.js';
import { displayDb } from '../store/postgres/pg.js';
import type { Clock } from '../core/clock.js';
import { policyWeakness } from '../core/policy.js';
import { TacError } from '../core/errors.js';
import { checkpointInBackground } from '../store/sqlite/checkpointer.js';
import { buildApp, type AppOptions, type TacServer } from './app.js';
import { capConnectionsPerAddress, checkTimeouts, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS } from './connections.js';
import { trustProxyFromEnv } from './proxy.js';
import { RequestLog, type LogSink } from './request-log.js';

export interface StartOptions extends Omit<AppOptions, 'backend' | 'https' | 'stderr' | 'onRoute' | 'bufferLog'> {
  /** A SQLite file or a postgres:// URL. */
  dbPath: string;
  keyPath: string;
  /** PostgreSQL connections this server keeps (default 10). */
  poolSize?: number;
  /** Loopback by default: exposing the server is a deliberate choice. */
  host?: string;
  /** 8787 by default; 0 picks a free port (see the returned url). */
  port?: number;
  tlsCert?: string;
  tlsKey?: string;
  /** Open connections allowed from one TCP peer (default 100); more are closed at once. */
  maxConnectionsPerAddress?: number;
  stderr?: LogSink;
  /** Close gracefully on SIGTERM/SIGINT, then call `exit(0)`. */
  handleSignals?: boolean;
  exit?: (code: number) => void;
  clock?: Clock;
  /** Read for TAC_VERIFY_RATE_LIMIT and TAC_TRUST_PROXY when the option is not given; process.env by default. */
  env?: Record<string, string | undefined>;
}

export interface RunningServer {
  url: string;
  app: TacServer;
  /** Stops accepting, lets in-flight requests finish, closes the database. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8787;

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);
const urlHost = (host: string) => (isIP(host) === 6 ? `[${host}]` : host);

/** `tac serve`: opens the database, builds the app and listens. */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const host = opts.host ?? DEFAULT_HOST;
  const port = opts.port ?? DEFAULT_PORT;
  const log = new RequestLog(opts.stderr ?? process.stderr);
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new TacError('usage', '--tls-cert and --tls-key must be given together');
  if (opts.timeouts) checkTimeouts(opts.timeouts);
  const https = opts.tlsCert && opts.tlsKey ? { cert: readTls('--tls-cert', opts.tlsCert), key: readTls('--tls-key', opts.tlsKey) } : undefined;
  const env = opts.env ?? process.env;
  const verifyPerMinute = opts.verifyPerMinute ?? verifyLimitFromEnv(env);
  const trustProxy = opts.trustProxy ?? trustProxyFromEnv(env);

  const backend = await openEngineBackend({ dbPath: opts.dbPath, keyPath: opts.keyPath, actor: 'server', clock: opts.clock, poolSize: opts.poolSize });
  let app: TacServer | undefined;
  try {
    app = await buildApp({ ...opts, verifyPerMinute, trustProxy, backend, https, stderr: opts.stderr, bufferLog: true });
    capConnectionsPerAddress(app.server, opts.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, log);
    await app.listen({ host, port });
  } catch (e) {
    await app?.close();
    await backend.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new TacError('usage', `cannot listen on ${host}:${port}: the port is already in use (choose another with --port)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new TacError('usage', `cannot listen on ${host}: no such local address`);
    if (code === 'EACCES') throw new TacError('usage', `cannot listen on ${host}:${port}: permission denied (use a port above 1023)`);
    throw e;
  }
  const server = app;
  // SQLite only: PostgreSQL checkpoints by itself.
  const checkpoints = backend instanceof LocalBackend
    ? checkpointInBackground(backend.store, opts.dbPath, (e) => {
      log.warn('background checkpoints stopped; the server checkpoints in the request path', { message: e.message });
    })
    : { stop: async () => {} };
  const url = `${https ? 'https' : 'http'}://${urlHost(host)}:${(server.server.address() as AddressInfo).port}`;
  log.info('listening', { url, db: displayDb(opts.dbPath), tls: Boolean(https), trustProxy: trustProxy ?? false });
  const weakness = policyWeakness(await backend.engine.run(backend.core.getPolicy()));
  if (weakness) log.warn('the stored policy would be refused now (it was saved before a rule it breaks); change it with tac policy set', { problem: weakness });
  if (!https && !isLoopback(host)) {
    log.warn('serving plain HTTP on a non-loopback address: tokens and codes cross the network unencrypted; use --tls-cert/--tls-key or a TLS proxy', { host });
  }

  let closing: Promise<void> | undefined;
  const signals = ['SIGTERM', 'SIGINT'] as const;
  const onSignal = (signal: NodeJS.Signals) => {
    log.info('shutting down', { signal });
    const exit = opts.exit ?? ((c: number) => process.exit(c));
    close().then(() => exit(0), (e: Error) => {
      log.error('shutdown failed', { message: e?.message });
      exit(1);
    });
  };
  const close = () => (closing ??= (async () => {
    for (const s of signals) process.off(s, onSignal);
    try {
      await server.close();
    } finally {
      await checkpoints.stop();
      await backend.close();
    }
    log.info('stopped');
  })());
  if (opts.handleSignals) for (const s of signals) process.on(s, onSignal);

  return { url, app: server, close };
}

/**
 * TAC_VERIFY_RATE_LIMIT: verify requests per client per minute (default 600, see routes/tacs.ts).
 * Raised for load tests (`npm run bench`) or for one app that verifies for many users.
 */
function verifyLimitFromEnv(env: Record<string, string | undefined>): number | undefined {
  const raw = env.TAC_VERIFY_RATE_LIMIT?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1) {
    throw new TacError('usage', `TAC_VERIFY_RATE_LIMIT: must be a whole number of requests per minute (at least 1), not "${raw.slice(0, 40)}"`);
  }
  return n;
}

function readTls(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TacError('usage', `${flag}: cannot read ${path}: ${(e as Error).message}`);
  }
}
