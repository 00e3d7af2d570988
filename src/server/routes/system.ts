import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { TacError } from '../../core/errors.js';
import type { ServerContext } from '../context.js';
import * as S from '../schemas.js';
import { doc, problems } from './common.js';

/** How long /readyz waits for the database's answer: a load balancer's probe gives up after a few seconds too. */
export const READY_TIMEOUT_MS = 3_000;

/** Liveness, readiness, the OpenAPI document and whoami. */
export const systemRoutes = (ctx: ServerContext): FastifyPluginAsyncJsonSchemaToTs => async (app) => {
  // Liveness only: the process runs and its event loop answers. No database query, so an
  // orchestrator does not restart every replica when the database goes away (they recover by
  // themselves when it is back); /readyz is the check that drains a replica meanwhile.
  const health = doc('public', 'system', 'Liveness: the process answers (no database query)');
  app.get('/healthz', { ...health, schema: { ...health.schema, response: { 200: S.Health, ...problems } } }, async () => ({ status: 'ok' as const }));

  const ready = doc('public', 'system', 'Readiness: the database answers', `200 when the database answers a trivial query within ${READY_TIMEOUT_MS / 1000} s; otherwise 503 with code \`unavailable\` and Retry-After, so a load balancer stops sending requests to this replica until it is back.`);
  app.get('/readyz', { ...ready, schema: { ...ready.schema, response: { 200: S.Ready, ...problems } } }, async (req) => {
    try {
      await withinReadyTimeout(ctx.backend.engine.ping());
    } catch (e) {
      if (e instanceof TacError) throw e;
      // Not a failure the engine knows (a SQLite file that cannot be read): not ready all the same.
      ctx.log.warn('readiness check failed', { reqId: req.id, error: (e as Error)?.name, message: (e as Error)?.message });
      throw new TacError('unavailable', 'the database did not answer', { cause: e });
    }
    return { status: 'ready' as const };
  });

  const openapi = doc('public', 'system', 'This OpenAPI 3.1 document');
  app.get('/openapi.json', {
    ...openapi,
    schema: { ...openapi.schema, response: { 200: { description: 'OpenAPI 3.1 document', type: 'object', additionalProperties: true } } },
  }, async (_req, reply) => reply.serializer(JSON.stringify).send(app.swagger() as unknown as Record<string, unknown>));

  const whoami = doc('authenticated', 'system', 'The calling agent and its token');
  app.get('/v1/whoami', { ...whoami, schema: { ...whoami.schema, response: { 200: S.Whoami, ...problems } } }, async (req) => {
    const a = req.agent!;
    return { clientId: a.clientId, name: a.name, role: a.role, scopes: a.scopes, tokenExpiresAt: a.tokenExpiresAt };
  });
};

/** The ping's outcome, or `unavailable` once READY_TIMEOUT_MS has passed (the query goes on, bounded by the pool's own timeouts). */
async function withinReadyTimeout(ping: unknown): Promise<void> {
  if (!ping) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TacError('unavailable', `the database did not answer within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
  });
  try {
    await Promise.race([ping, late]);
  } finally {
    clearTimeout(timer);
  }
}
