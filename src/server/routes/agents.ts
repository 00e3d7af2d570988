import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { actingFor } from '../auth.js';
import type { ServerContext } from '../context.js';
import * as S from '../schemas.js';
import { arrayOf, doc, problems } from './common.js';

/** Agents (API clients), admin only. The same operations as `tac agents` on the database. */
export const agentRoutes = (ctx: ServerContext): FastifyPluginAsyncJsonSchemaToTs => async (app) => {
  const list = doc('agents:write', 'agents', 'List agents');
  app.get('/v1/agents', {
    ...list,
    schema: { ...list.schema, querystring: S.AgentListQuery, response: { 200: arrayOf(S.Agent), ...problems } },
  }, async (req) => ctx.agents.list({ includeRevoked: req.query.revoked }));

  const create = doc('agents:write', 'agents', 'Create an agent', 'The response holds the client secret, once; it is stored only as a scrypt hash.');
  app.post('/v1/agents', {
    ...create,
    schema: { ...create.schema, body: S.NewAgent, response: { 201: S.CreatedAgent, ...problems } },
  }, async (req, reply) => reply.code(201).send(await ctx.agents.create(actingFor(ctx, req), req.body)));

  const revoke = doc('agents:write', 'agents', 'Revoke an agent and all its tokens');
  app.delete('/v1/agents/:clientId', {
    ...revoke,
    schema: { ...revoke.schema, params: S.ClientIdParams, response: { 200: S.AgentRevokeResult, ...problems } },
  }, async (req) => ctx.writes.run(() => ctx.agents.revoke(actingFor(ctx, req), req.params.clientId)));
};
