import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { formatSeconds } from '../core/duration.js';
import { TacError } from '../core/errors.js';
import { problem, PROBLEM_TYPE } from './problem.js';
import type { RequestLog } from './request-log.js';

/**
 * How long a client may take, so a slow one cannot hold a connection open indefinitely (Node's
 * and Fastify's request timeouts are off by default): a client that does not send its headers,
 * or its whole request, in time gets 408 and is disconnected.
 */
export interface ServerTimeouts {
  /** To receive a whole request, headers and body. */
  requestMs: number;
  /** To receive the headers; at most requestMs (Node refuses more). */
  headersMs: number;
  /** An idle connection between two requests. */
  keepAliveMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = { requestMs: 30_000, headersMs: 10_000, keepAliveMs: 5_000 };
/** Flag bounds for every timeout. */
export const TIMEOUT_RANGE_MS = { min: 1_000, max: 3_600_000 } as const;
/**
 * A connection silent this long in the middle of a request or response (a client that stops
 * reading) is closed. Never shorter than the request timeout, which is what a slow upload meets;
 * long enough for the slowest handler (a full import batch), since it also runs while one works.
 */
const MIN_IDLE_MS = 60_000;

export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 100;
/** One warning line at most this often when connections are refused: an attack must not flood the log. */
const REFUSAL_WARNING_INTERVAL_MS = 10_000;

export function checkTimeouts(t: ServerTimeouts): void {
  if (t.headersMs > t.requestMs) {
    throw new TacError('usage', `--headers-timeout: ${formatSeconds(t.headersMs / 1000)} is longer than --request-timeout (${formatSeconds(t.requestMs / 1000)}); it must not be`, { field: '--headers-timeout' });
  }
}

/** Fastify's options and Node's http server options for these timeouts. */
export function timeoutOptions(t: ServerTimeouts) {
  checkTimeouts(t);
  return {
    fastify: { requestTimeout: t.requestMs, keepAliveTimeout: t.keepAliveMs, connectionTimeout: Math.max(MIN_IDLE_MS, t.requestMs) },
    node: {
      requestTimeout: t.requestMs,
      headersTimeout: t.headersMs,
      // Node checks both on this interval (30 s by default), so a 1 s timeout would fire only after up to 31 s.
      connectionsCheckingInterval: Math.min(1_000, Math.floor(t.headersMs / 2)),
    },
  };
}

/**
 * Closes a new connection at once when its address already has `max` open. The address is the
 * TCP peer: behind a reverse proxy, the proxy's. Counts only open connections, so memory is
 * bounded by them.
 */
export function capConnectionsPerAddress(server: Server, max: number, log: RequestLog, now: () => number = Date.now): void {
  const open = new Map<string, number>();
  let lastWarning = -Infinity;
  let refused = 0;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = open.get(address) ?? 0;
    if (count >= max) {
      socket.destroy();
      refused++;
      if (now() - lastWarning >= REFUSAL_WARNING_INTERVAL_MS) {
        log.warn('connection refused: too many open connections from one address', { address, max, refusedSinceLastWarning: refused });
        lastWarning = now();
        refused = 0;
      }
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}

/**
 * What Node refuses before Fastify sees a request (a request or headers not received in time,
 * headers too large, bytes that are not HTTP) is answered as problem+json like every other error,
 * then the connection is closed. Fastify's own answer is a different JSON shape.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? [408, 'the request was not received in time; the connection is closed'] as const
    : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'the request headers are too large'] as const : [400, 'the request is not valid HTTP'] as const;
  const body = JSON.stringify(problem('usage', detail, { status }));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
