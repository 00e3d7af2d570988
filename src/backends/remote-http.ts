import { Agent, request } from 'undici';
import { ERROR_TABLE, TacError, type ErrorCode } from '../core/errors.js';
import { parseServerUrl } from './server-url.js';

export { isLoopbackHost, parseServerUrl } from './server-url.js';

/**
 * Transport for the remote backend and the identity providers: one undici Agent, timeouts,
 * retries, rate-limit waits and error mapping.
 */

export interface Timeouts {
  /** TCP + TLS connect (default 5 s). */
  connectMs?: number;
  /** Whole request, from sending to the last body byte (default 30 s). */
  requestMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  contentType: string;
  text: string;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Waiting out HTTP 429 (providers): at most `retries` waits of at most `maxWaitMs` each. */
export interface RateLimitRetry {
  retries: number;
  maxWaitMs: number;
  /** Told before each wait, e.g. to say so on a terminal. */
  onWait?: (seconds: number) => void;
  /** How long a 429 asks to wait, for a provider with its own headers (Okta's X-Rate-Limit-Reset); default Retry-After. */
  waitMs?: (res: Pick<HttpResponse, 'headers'>) => number | undefined;
}

/** Retry-After in milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined if absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A value, or how to make it for each attempt. */
export type PerAttempt<T> = T | (() => Promise<T>);

/** GET and DELETE are idempotent: safe to send again after a network error. POST never is here. */
const IDEMPOTENT = new Set<Method>(['GET', 'DELETE']);

export class HttpTransport {
  private readonly dispatcher: Agent;
  private readonly requestMs: number;
  private readonly connectMs: number;
  private readonly retries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly rateLimit: RateLimitRetry | undefined;
  /** Who answers, for messages: "the tac server", "mosaic". */
  readonly service: string;

  constructor(
    readonly base: URL,
    opts: {
      timeouts?: Timeouts; ca?: string | Buffer; retries?: number; sleep?: (ms: number) => Promise<void>; rateLimit?: RateLimitRetry; service?: string;
    } = {},
  ) {
    this.service = opts.service ?? 'the tac server';
    this.rateLimit = opts.rateLimit;
    this.connectMs = opts.timeouts?.connectMs ?? 5_000;
    this.requestMs = opts.timeouts?.requestMs ?? 30_000;
    this.retries = opts.retries ?? 2;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.dispatcher = new Agent({
      connect: { timeout: this.connectMs, ...(opts.ca ? { ca: opts.ca } : {}) },
      headersTimeout: this.requestMs,
      bodyTimeout: this.requestMs,
    });
  }

  /** The server URL for messages: no trailing slash. */
  get location(): string {
    return this.base.href.replace(/\/$/, '');
  }

  /**
   * `path` is relative to the base URL, or an absolute URL (a provider's separate token endpoint).
   * `headers` and `body` may be functions, called for each attempt: what must not be sent twice
   * (a DPoP proof or a client assertion, whose jti the server remembers) is made anew for a retry.
   */
  async send(method: Method, path: string, init: { headers?: PerAttempt<Record<string, string>>; body?: PerAttempt<string> } = {}): Promise<HttpResponse> {
    const url = /^https?:\/\//.test(path) ? new URL(path) : new URL(path.replace(/^\//, ''), this.base);
    const attempts = IDEMPOTENT.has(method) ? this.retries + 1 : 1;
    let waits = 0;
    for (let attempt = 1; ; attempt++) {
      const headers = typeof init.headers === 'function' ? await init.headers() : init.headers;
      const body = typeof init.body === 'function' ? await init.body() : init.body;
      try {
        const res = await request(url, {
          method, headers, body, dispatcher: this.dispatcher, signal: AbortSignal.timeout(this.requestMs),
        });
        const text = await res.body.text();
        const ct = res.headers['content-type'];
        // A server shutting down answers 503 before closing: an idempotent request may go again.
        if (res.statusCode === 503 && attempt < attempts) {
          await this.sleep(backoff(attempt));
          continue;
        }
        // 429 means the request was refused, not processed (RFC 6585 §4): sending it again is safe
        // for any method, POST included, once the server's Retry-After has passed. Bounded, so a
        // long ban fails at once (exit 5) instead of hanging a help-desk call.
        const wait = res.statusCode === 429 && this.rateLimit && waits < this.rateLimit.retries ? this.waitMs(res.headers) ?? 1000 : undefined;
        if (wait !== undefined && wait <= this.rateLimit!.maxWaitMs) {
          waits++;
          attempt--;
          this.rateLimit!.onWait?.(Math.ceil(wait / 1000));
          await this.sleep(wait);
          continue;
        }
        return { status: res.statusCode, headers: res.headers, contentType: (Array.isArray(ct) ? ct[0] : ct) ?? '', text };
      } catch (e) {
        if (attempt < attempts) {
          await this.sleep(backoff(attempt));
          continue;
        }
        throw this.unreachable(e, method);
      }
    }
  }

  private waitMs(headers: HttpResponse['headers']): number | undefined {
    return this.rateLimit?.waitMs ? this.rateLimit.waitMs({ headers }) : retryAfterMs(headers['retry-after']);
  }

  private unreachable(e: unknown, method: Method): TacError {
    const err = e as { code?: unknown; name?: string; message?: string; cause?: { code?: unknown } };
    // Node errors carry a string code; a DOMException (our timeout signal) a legacy numeric one and a name.
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const code = str(err.code) ?? str(err.cause?.code) ?? err.name ?? '';
    const reasons: Record<string, string> = {
      ECONNREFUSED: this.service === 'the tac server' ? 'connection refused (is tac serve running?)' : 'connection refused',
      ENOTFOUND: 'host not found',
      EAI_AGAIN: 'host lookup failed',
      ECONNRESET: 'connection reset',
      EHOSTUNREACH: 'host unreachable',
      ENETUNREACH: 'network unreachable',
      UND_ERR_CONNECT_TIMEOUT: `no connection within ${this.connectMs} ms`,
      UND_ERR_HEADERS_TIMEOUT: `no response within ${this.requestMs} ms`,
      UND_ERR_BODY_TIMEOUT: `no response within ${this.requestMs} ms`,
      TimeoutError: `no response within ${this.requestMs} ms`,
      AbortError: `no response within ${this.requestMs} ms`,
      UND_ERR_SOCKET: 'connection closed',
    };
    let reason = reasons[code];
    if (!reason && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) reason = `TLS certificate not trusted (${code})`;
    reason ??= (err.message ?? String(e)).slice(0, 200);
    const maybeApplied = !IDEMPOTENT.has(method) && /no response|reset|closed/.test(reason)
      ? ' (the request may still have been applied: check before repeating it)'
      : '';
    return new TacError('unreachable', `cannot reach ${this.service} at ${this.location}: ${reason}${maybeApplied}`, { cause: e });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

/** 200 ms, 400 ms, 800 ms... with jitter, so retrying clients do not arrive in step. */
const backoff = (attempt: number) => Math.round(100 * 2 ** attempt * (0.75 + Math.random() * 0.5));

interface ProblemJson {
  code?: unknown;
  detail?: unknown;
  field?: unknown;
  details?: unknown;
}

const isErrorCode = (c: unknown): c is ErrorCode => typeof c === 'string' && Object.hasOwn(ERROR_TABLE, c);

/** Maps an error response back to the TacError the server's core threw: same code, same message. */
export function errorFromResponse(res: HttpResponse, location: string): TacError {
  if (/^application\/problem\+json/i.test(res.contentType)) {
    let p: ProblemJson | undefined;
    try {
      p = JSON.parse(res.text) as ProblemJson;
    } catch {
      p = undefined;
    }
    if (p && typeof p.detail === 'string') {
      const code = isErrorCode(p.code) ? p.code : res.status >= 500 ? 'internal' : 'usage';
      return new TacError(code, p.detail, {
        field: typeof p.field === 'string' ? p.field : undefined,
        details: p.details && typeof p.details === 'object' ? (p.details as Record<string, unknown>) : undefined,
      });
    }
  }
  // Not ours: a proxy or another service answered.
  if (res.status === 502 || res.status === 503 || res.status === 504) {
    return new TacError('unreachable', `cannot reach the tac server at ${location}: HTTP ${res.status} from a proxy or gateway`);
  }
  if (res.status === 401) return new TacError('unauthenticated', `the server at ${location} refused the credentials (run tac login)`);
  if (res.status === 403) return new TacError('forbidden', `the server at ${location} refused access`);
  return new TacError('internal', `unexpected HTTP ${res.status} from ${location} (is this a tac server?)`);
}

/** A response body as JSON, or undefined when it is not JSON. */
export function parseJson(res: HttpResponse): unknown {
  try {
    return JSON.parse(res.text);
  } catch {
    return undefined;
  }
}
