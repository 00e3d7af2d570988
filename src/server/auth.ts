import type { FastifyReply, FastifyRequest } from 'fastify';
import { actorFor, isScope, scopeRefusal, type Role, type Scope } from '../core/agents.js';
import { isPromise, type Flow, type MaybePromise } from '../core/flow.js';
import type { TacCore } from '../core/service.js';
import type { TokenGrant } from '../store/agents-store.js';
import type { ClientLimit } from './client-limit.js';
import type { ServerContext } from './context.js';
import { problem, sendProblem } from './problem.js';

/** The agent behind a request's bearer token. */
export interface AuthedAgent {
  clientId: string;
  name: string;
  role: Role;
  scopes: Scope[];
  tokenExpiresAt: string;
}

/** What a route needs: a scope, any valid token, or nothing (health, OpenAPI, token endpoint). */
export type RouteAccess = Scope | 'authenticated' | 'public';

declare module 'fastify' {
  interface FastifyRequest {
    agent: AuthedAgent | null;
    tac: TacCore | null;
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
    /** A per-client request limit, checked once the request is admitted (see client-limit.ts). */
    clientLimit?: ClientLimit;
  }
}

export const REALM = 'tac';

/** The security requirement for the OpenAPI document, derived from the same access value. */
export const security = (access: RouteAccess) =>
  access === 'public' ? [] : [{ oauth2: access === 'authenticated' ? [] : [access] }];

/**
 * onRequest hook: authenticates the bearer token (RFC 6750) and checks the route's scope before
 * the body is even read, so anonymous callers cannot make the server parse anything.
 * Callback-style (no promise per request): a refusal sends its answer and does not call `done`.
 */
export function authHook(ctx: ServerContext) {
  return (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    const access = req.routeOptions.config.access;
    if (access === undefined || access === 'public') return done();
    const header = req.headers.authorization ?? '';
    const m = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
    if (!m) {
      reply.header('WWW-Authenticate', `Bearer realm="${REALM}"`);
      sendProblem(reply, problem('unauthenticated', 'missing bearer token: get one from POST /oauth/token with your client credentials (run tac login)'));
      return;
    }
    const found = ctx.agents.authenticate(m[1]!);
    // SQLite answers at once (no promise per request); PostgreSQL asynchronously.
    if (isPromise(found)) found.then((grant) => admit(req, reply, done, access, grant), done);
    else admit(req, reply, done, access, found);
  };
}

/** Admits a request whose token found `grant` (or refuses it), checking the route's scope. */
function admit(req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void, access: Exclude<RouteAccess, 'public'>, grant: TokenGrant | undefined): void {
  if (!grant) {
    reply.header('WWW-Authenticate', `Bearer realm="${REALM}", error="invalid_token", error_description="the access token is invalid, expired or revoked"`);
    sendProblem(reply, problem('unauthenticated', 'the access token is invalid, expired or revoked: get a new one (run tac login)'));
    return;
  }
  req.agent = {
    clientId: grant.agent.clientId, name: grant.agent.name, role: grant.agent.role, scopes: grant.scopes.filter(isScope), tokenExpiresAt: grant.expiresAt,
  };
  if (access !== 'authenticated') {
    const refusal = scopeRefusal(grant.agent.role, grant.scopes, access);
    if (refusal) {
      reply.header('WWW-Authenticate', `Bearer realm="${REALM}", error="insufficient_scope", scope="${access}"`);
      sendProblem(reply, problem('forbidden', refusal, { details: { requiredScope: access, role: grant.agent.role } }));
      return;
    }
  }
  const limit = req.routeOptions.config.clientLimit;
  if (limit && !limit.admit(grant.agent.clientId, reply)) return;
  done();
}

/** The core acting as the request's agent: every audit row it writes names `agent:<name>`. */
export function serviceFor(ctx: ServerContext, req: FastifyRequest): TacCore {
  if (!req.agent) throw new Error('serviceFor called on an unauthenticated route');
  return (req.tac ??= ctx.backend.coreFor(actorFor(req.agent.name), ctx.clock));
}

export const actingFor = (ctx: ServerContext, req: FastifyRequest) => ({ core: serviceFor(ctx, req), actor: actorFor(req.agent!.name) });

/** A route's read: the flow run on the backend's engine (at once on SQLite). */
export const run = <T>(ctx: ServerContext, flow: Flow<T>): MaybePromise<T> => ctx.backend.engine.run(flow);
