import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { REALM } from '../auth.js';
import type { ServerContext } from '../context.js';
import { FailureLimiter, type FailureLimit } from '../failure-limiter.js';
import { toProblem, UNAVAILABLE_RETRY_AFTER_SECONDS } from '../problem.js';
import * as S from '../schemas.js';

/** Per client id and address: what a client with a wrong secret meets. */
export const DEFAULT_TOKEN_FAILURE_LIMIT: FailureLimit = { max: 10, windowMs: 15 * 60_000 };
/** Per address, whatever the client id: higher, so one misconfigured agent behind a shared NAT does not lock out the others. */
export const DEFAULT_TOKEN_ADDRESS_FAILURE_LIMIT: FailureLimit = { max: 30, windowMs: 15 * 60_000 };
export const DEFAULT_TOKEN_REQUESTS_PER_MINUTE = 60;

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope' | 'server_error' | 'temporarily_unavailable';

/** RFC 6749 §5.2 error response. */
function oauthError(reply: FastifyReply, status: number, error: OAuthErrorCode, description: string): FastifyReply {
  return reply
    .status(status)
    .header('Cache-Control', 'no-store')
    .header('Pragma', 'no-cache')
    .type('application/json')
    .serializer(JSON.stringify)
    .send({ error, error_description: description });
}

type BasicCredentials = { id: string; secret: string };

/** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before being base64-encoded. */
function parseBasic(header: string | undefined): BasicCredentials | 'malformed' | undefined {
  const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header ?? '');
  if (!m) return header && /^Basic\b/i.test(header) ? 'malformed' : undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  try {
    const form = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { id: form(decoded.slice(0, colon)), secret: form(decoded.slice(colon + 1)) };
  } catch {
    return 'malformed';
  }
}

const isForm = (req: FastifyRequest) => /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');

/** A client id as we issue them: logged as is. Anything else may be a secret pasted in the wrong field. */
const loggableClientId = (id: string): string | null => (/^agt_[a-z2-7]{16}$/.test(id) ? id : null);

/**
 * POST /oauth/token: the OAuth 2.0 client credentials grant (RFC 6749 §4.4). Errors use the
 * OAuth JSON format rather than problem details, so any OAuth client library understands them.
 */
export const oauthRoutes = (
  ctx: ServerContext,
  opts: { tokenFailureLimit?: FailureLimit; tokenAddressFailureLimit?: FailureLimit; tokenRequestsPerMinute?: number },
): FastifyPluginAsyncJsonSchemaToTs => async (app) => {
  // Registered in this scope only: no other route accepts form bodies.
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  // Failures count per (client id, address) and per address, never per client id alone: ids are
  // public, so that would let anyone lock a real agent out from everywhere. Secrets are 256-bit:
  // guessing one from many addresses gains nothing.
  const pairFailures = new FailureLimiter(opts.tokenFailureLimit ?? DEFAULT_TOKEN_FAILURE_LIMIT, ctx.clock);
  const addressFailures = new FailureLimiter(opts.tokenAddressFailureLimit ?? DEFAULT_TOKEN_ADDRESS_FAILURE_LIMIT, ctx.clock);

  app.setErrorHandler((err, req, reply) => {
    const { problem: p, internal } = toProblem(err);
    if (internal) {
      ctx.log.error('unhandled error', { reqId: req.id, route: '/oauth/token', error: (err as Error)?.name, message: (err as Error)?.message, stack: (err as Error)?.stack });
      return oauthError(reply, 500, 'server_error', 'internal server error; see the server log for this request id');
    }
    // The database is unavailable: RFC 6749's temporarily_unavailable (§4.1.2.1), with the 503 and
    // Retry-After that sendProblem gives the other routes, never a 401 that blames the client.
    if (p.code === 'unavailable') {
      return oauthError(reply.header('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS)), 503, 'temporarily_unavailable', p.detail);
    }
    // Retry-After is already set by the rate limiter.
    return oauthError(reply, p.status === 429 || p.status === 413 ? p.status : 400, 'invalid_request', p.detail);
  });

  app.post('/oauth/token', {
    config: {
      access: 'public',
      rateLimit: {
        max: opts.tokenRequestsPerMinute ?? DEFAULT_TOKEN_REQUESTS_PER_MINUTE, timeWindow: 60_000, keyGenerator: (req) => `token:${req.ip}`,
      },
    },
    attachValidation: true,
    schema: {
      tags: ['oauth'],
      summary: 'Get an access token (client credentials grant)',
      description: 'RFC 6749 §4.4. Authenticate with HTTP Basic (preferred) or client_id/client_secret in the body. Tokens last one hour.',
      security: [],
      consumes: ['application/x-www-form-urlencoded'],
      body: S.TokenRequest,
      response: {
        200: S.TokenResponse,
        '4xx': { description: 'RFC 6749 §5.2 error', content: { 'application/json': { schema: S.OAuthError } } },
        503: { description: 'The database is unavailable (temporarily_unavailable, with Retry-After)', content: { 'application/json': { schema: S.OAuthError } } },
      },
    },
  }, async (req, reply) => {
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    if (!isForm(req)) return oauthError(reply, 400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
    if (req.validationError) return oauthError(reply, 400, 'invalid_request', 'every parameter must appear at most once');
    const body = req.body ?? {};

    const basic = parseBasic(req.headers.authorization);
    const challenge = () => reply.header('WWW-Authenticate', `Basic realm="${REALM}"`);
    if (basic === 'malformed') return oauthError(challenge(), 401, 'invalid_client', 'malformed Basic credentials');
    if (basic && body.client_secret !== undefined) {
      return oauthError(reply, 400, 'invalid_request', 'use one client authentication method: HTTP Basic or client_secret in the body, not both');
    }
    if (basic && body.client_id !== undefined && body.client_id !== basic.id) {
      return oauthError(reply, 400, 'invalid_request', 'client_id in the body does not match the Basic credentials');
    }
    const creds = basic ?? (body.client_id !== undefined ? { id: body.client_id, secret: body.client_secret ?? '' } : undefined);
    if (!creds) return oauthError(challenge(), 401, 'invalid_client', 'client authentication required (HTTP Basic or client_id/client_secret)');
    if (body.grant_type === undefined) return oauthError(reply, 400, 'invalid_request', 'grant_type is required');
    if (body.grant_type !== 'client_credentials') {
      return oauthError(reply, 400, 'unsupported_grant_type', 'only the client_credentials grant is supported');
    }

    const pair = `${req.ip} ${creds.id.slice(0, 200)}`;
    const wait = Math.max(pairFailures.retryAfter(pair), addressFailures.retryAfter(req.ip));
    if (wait > 0) {
      reply.header('Retry-After', String(wait));
      return oauthError(reply, 429, 'invalid_request', `too many failed attempts; retry in ${wait} seconds`);
    }

    const outcome = await ctx.agents.issueToken(creds.id, creds.secret, body.scope);
    if (!outcome.ok) {
      if (outcome.error === 'invalid_client') {
        pairFailures.fail(pair);
        addressFailures.fail(req.ip);
        // Never the secret; the id only when it has the shape of one.
        ctx.log.warn('token request refused: client authentication failed', {
          reqId: req.id, clientId: loggableClientId(creds.id), address: req.ip,
          lockedOut: pairFailures.retryAfter(pair) > 0 || addressFailures.retryAfter(req.ip) > 0,
        });
        return basic ? oauthError(challenge(), 401, 'invalid_client', outcome.description) : oauthError(reply, 400, 'invalid_client', outcome.description);
      }
      return oauthError(reply, 400, outcome.error, outcome.description);
    }
    // The address count is not reset: one valid client must not clear an address that guesses at others.
    pairFailures.reset(pair);
    return { access_token: outcome.accessToken, token_type: 'Bearer' as const, expires_in: outcome.expiresIn, scope: outcome.scopes.join(' ') };
  });
};
