import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import type { EngineBackend } from '../backends/engine-backend.js';
import { SCOPES } from '../core/agents.js';
import { systemClock, type Clock } from '../core/clock.js';
import { AgentService, DEFAULT_TOKEN_TTL_SECONDS } from './agent-service.js';
import { authHook } from './auth.js';
import { clientErrorHandler, DEFAULT_TIMEOUTS, timeoutOptions, type ServerTimeouts } from './connections.js';
import type { ServerContext } from './context.js';
import type { FailureLimit } from './failure-limiter.js';
import { BODY_LIMIT_BYTES } from './limits.js';
import { problem, rateLimited, sendProblem, toProblem } from './problem.js';
import type { TrustProxy } from './proxy.js';
import { RequestLog, type LogSink } from './request-log.js';
import { agentRoutes } from './routes/agents.js';
import { auditRoutes } from './routes/audit.js';
import { guestRoutes } from './routes/guests.js';
import { oauthRoutes } from './routes/oauth.js';
import { policyRoutes } from './routes/policy.js';
import { systemRoutes } from './routes/system.js';
import { tacRoutes } from './routes/tacs.js';
import { userRoutes } from './routes/users.js';
import { writesFor } from './writes.js';

export interface AppOptions {
  backend: EngineBackend;
  clock?: Clock;
  /** Request log sink (one JSON line per request); process.stderr by default. */
  stderr?: LogSink;
  /** Write the request log once per event-loop turn (tac serve); flushed when the app closes. */
  bufferLog?: boolean;
  tokenTtlSeconds?: number;
  /** Failed token requests allowed per client id and address before 429 (default 10 per 15 minutes). */
  tokenFailureLimit?: FailureLimit;
  /** Failed token requests allowed per address, whatever the client id (default 30 per 15 minutes). */
  tokenAddressFailureLimit?: FailureLimit;
  /** All token requests per address per minute (default 60). */
  tokenRequestsPerMinute?: number;
  /** Verify requests per client per minute, on top of the per-user lockout (default 600). */
  verifyPerMinute?: number;
  https?: { cert: string | Buffer; key: string | Buffer };
  /** How long a client may take to send a request, its headers, or stay idle (see connections.ts). */
  timeouts?: ServerTimeouts;
  /** Peers whose X-Forwarded-For gives the client address (for per-address limits); none by default. */
  trustProxy?: TrustProxy;
  /** Sees every route as it is registered (tests compare these with the OpenAPI document). */
  onRoute?: (route: RouteOptions) => void;
}

export type TacServer = FastifyInstance;

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/**
 * Builds the Fastify app over an open EngineBackend. Does not listen (see start.ts), so tests can
 * drive it with `app.inject`. The caller owns the backend and closes it after the app.
 */
export async function buildApp(opts: AppOptions): Promise<TacServer> {
  const clock = opts.clock ?? systemClock;
  const log = new RequestLog(opts.stderr ?? process.stderr, { buffered: opts.bufferLog });
  const ctx: ServerContext = {
    backend: opts.backend,
    agents: new AgentService(opts.backend.engine, clock, opts.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS),
    clock,
    log,
    writes: writesFor(opts.backend),
  };

  // One line when the database goes away and one when it is back, not one per failed request.
  opts.backend.engine.onAvailabilityChange?.(({ available, reason }) => {
    if (available) log.info('database available again');
    else log.warn('database unavailable: answering 503 until it is back', { reason });
  });

  const timeouts = timeoutOptions(opts.timeouts ?? DEFAULT_TIMEOUTS);
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
    // A client-chosen request id could forge log lines; we always make our own.
    requestIdHeader: false,
    exposeHeadRoutes: false,
    trustProxy: opts.trustProxy ?? false,
    return503OnClosing: true,
    // Malformed URLs (`/v1/users/%`) and over-long path parameters are answered by Fastify before any
    // route or error handler runs: give them the same problem+json answer as every other error.
    frameworkErrors: (err, _req, reply) => sendProblem(reply, toProblem(err).problem),
    clientErrorHandler,
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
    ...timeouts.fastify,
    // Node's own server options (https.createServer takes the same ones).
    ...(opts.https ? { https: { cert: opts.https.cert, key: opts.https.key, ...timeouts.node } } : { http: timeouts.node }),
  }).withTypeProvider<JsonSchemaToTsProvider>() as unknown as TacServer;

  app.decorateRequest('agent', null);
  app.decorateRequest('tac', null);

  app.addHook('onRoute', (route) => {
    // Fail closed: a /v1 route that forgot to say which scope it needs must not start unprotected.
    if (route.url.startsWith('/v1/') && route.config?.access === undefined) {
      throw new Error(`route ${route.method} ${route.url} declares no access scope`);
    }
    opts.onRoute?.(route);
  });

  // Only JSON (and form bodies on /oauth/token): anything else is 415 rather than parsed as text.
  app.removeContentTypeParser('text/plain');

  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, c) => rateLimited(Math.max(1, Math.ceil(c.ttl / 1000))),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'tac server',
        version: VERSION,
        description: 'Issues and verifies temporary access codes (TACs). Errors are application/problem+json with a stable `code`.',
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          oauth2: {
            type: 'oauth2',
            description: 'OAuth 2.0 client credentials (RFC 6749 §4.4). Create a client with `tac agents create`.',
            flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: Object.fromEntries(SCOPES.map((s) => [s, scopeDescription(s)])) } },
          },
        },
      },
      tags: ['users', 'tacs', 'policy', 'guests', 'audit', 'agents', 'oauth', 'system'].map((name) => ({ name })),
    },
  });

  app.addHook('onRequest', authHook(ctx));

  // While shutting down, in-flight responses close their keep-alive connection, so close() can finish.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onClose', async () => log.flush());

  // Callback-style hooks (not async): no promise and microtask per request on the hot path.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (closing) reply.header('Connection', 'close');
    reply.header('X-Request-Id', req.id);
    reply.header('X-Content-Type-Options', 'nosniff');
    // Responses carry personal data and sometimes a code: no cache may keep them.
    if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
    done(null, payload);
  });

  app.addHook('onResponse', (req, reply, done) => {
    log.info('request', {
      reqId: req.id,
      agent: req.agent?.name ?? null,
      method: req.method,
      // The route pattern, never the URL: query strings and path segments may hold personal data.
      route: req.routeOptions.url ?? null,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    });
    done();
  });

  app.setErrorHandler((err, req, reply) => {
    const { problem: p, internal } = toProblem(err);
    if (internal) {
      const e = err as Error;
      log.error('unhandled error', { reqId: req.id, route: req.routeOptions.url ?? null, error: e?.name, message: e?.message, stack: e?.stack });
    }
    return sendProblem(reply, p);
  });

  app.setNotFoundHandler((req, reply) => {
    sendProblem(reply, problem('not_found', `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}`));
  });

  await app.register(systemRoutes(ctx));
  await app.register(oauthRoutes(ctx, opts));
  await app.register(userRoutes(ctx));
  await app.register(tacRoutes(ctx, opts));
  await app.register(policyRoutes(ctx));
  await app.register(guestRoutes(ctx));
  await app.register(auditRoutes(ctx));
  await app.register(agentRoutes(ctx));

  await app.ready();
  return app;
}

function scopeDescription(s: string): string {
  const [resource, verb] = s.split(':');
  return `${verb === 'read' ? 'Read' : verb === 'write' ? 'Change' : verb === 'verify' ? 'Verify' : 'Unlock'} ${resource}`;
}
