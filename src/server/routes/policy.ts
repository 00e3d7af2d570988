import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { Policy } from '../../core/policy.js';
import { run, serviceFor } from '../auth.js';
import type { ServerContext } from '../context.js';
import * as S from '../schemas.js';
import { doc, problems } from './common.js';

/**
 * Policy bodies are often a file an admin wrote: the core checks their shape, so a typo gets the
 * same message remotely as locally. The schema documents the fields; this validator lets the body
 * through untouched to the core.
 */
const coreValidates = () => (data: unknown) => ({ value: data });

/** The response schema lets fields the core adds later through, so it types the policy as open. */
const open = (p: Policy): Policy & Record<string, unknown> => p as Policy & Record<string, unknown>;

/** The TAC policy: show, replace, patch, reset. The core validates every change. */
export const policyRoutes = (ctx: ServerContext): FastifyPluginAsyncJsonSchemaToTs => async (app) => {
  const get = doc('policy:read', 'policy', 'Show the policy');
  app.get('/v1/policy', { ...get, schema: { ...get.schema, response: { 200: S.Policy, ...problems } } },
    async (req) => open(await run(ctx, serviceFor(ctx, req).getPolicy())));

  const put = doc('policy:write', 'policy', 'Replace the whole policy', 'Every field is required.');
  app.put('/v1/policy', { ...put, validatorCompiler: coreValidates, schema: { ...put.schema, body: S.PolicyPatch, response: { 200: S.Policy, ...problems } } },
    async (req) => open(await ctx.writes.run(() => serviceFor(ctx, req).replacePolicy(req.body))));

  const patch = doc('policy:write', 'policy', 'Change some policy fields');
  app.patch('/v1/policy', { ...patch, validatorCompiler: coreValidates, schema: { ...patch.schema, body: S.PolicyPatch, response: { 200: S.Policy, ...problems } } },
    async (req) => open(await ctx.writes.run(() => serviceFor(ctx, req).updatePolicy(req.body))));

  const reset = doc('policy:write', 'policy', 'Reset the policy to the defaults');
  app.post('/v1/policy/reset', { ...reset, schema: { ...reset.schema, response: { 200: S.Policy, ...problems } } },
    async (req) => open(await ctx.writes.run(() => serviceFor(ctx, req).resetPolicy())));
};
