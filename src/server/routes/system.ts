import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { ServerContext } from '../context.js';
import * as S from '../schemas.js';
import { doc, problems } from './common.js';

/** Health, the OpenAPI document and whoami. */
export const systemRoutes = (ctx: ServerContext): FastifyPluginAsyncJsonSchemaToTs => async (app) => {
  const health = doc('public', 'system', 'Liveness and database check');
  app.get('/healthz', { ...health, schema: { ...health.schema, response: { 200: S.Health, ...problems } } }, async () => {
    await ctx.backend.engine.ping();
    return { status: 'ok' as const };
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
