import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import type { IssueInput, TacListQuery } from '../../core/types.js';
import { run, serviceFor } from '../auth.js';
import { ClientLimit } from '../client-limit.js';
import type { ServerContext } from '../context.js';
import * as S from '../schemas.js';
import { verdictJson } from '../verdict-json.js';
import { arrayOf, doc, problems } from './common.js';

export const DEFAULT_VERIFY_PER_MINUTE = 600;
const JSON_TYPE = 'application/json; charset=utf-8';

/** TACs: issue (the only route that returns a code), list, show, revoke, verify; and purge. */
export const tacRoutes = (ctx: ServerContext, opts: { verifyPerMinute?: number }): FastifyPluginAsyncJsonSchemaToTs => async (app) => {
  const issue = doc('tacs:write', 'tacs', 'Issue a TAC for a user', 'Replaces the user\'s live TAC. The response holds the code, once.');
  app.post('/v1/tacs', {
    ...issue,
    schema: { ...issue.schema, body: S.IssueRequest, response: { 201: S.IssuedTac, ...problems } },
  }, async (req, reply) => // verifiedBy is checked by the core (same message as the CLI), hence the cast.
    reply.code(201).send(await ctx.writes.run(() => serviceFor(ctx, req).issueTac(req.body as IssueInput))));

  const list = doc('tacs:read', 'tacs', 'List TACs', 'Newest first; status is derived at read time.');
  app.get('/v1/tacs', {
    ...list,
    schema: { ...list.schema, querystring: S.TacListQuery, response: { 200: arrayOf(S.ListedTac), ...problems } },
  }, async (req) => run(ctx, serviceFor(ctx, req).listTacs(req.query as TacListQuery)));

  const show = doc('tacs:read', 'tacs', 'Show a TAC');
  app.get('/v1/tacs/:id', {
    ...show,
    schema: { ...show.schema, params: S.IdParams, response: { 200: S.Tac, ...problems } },
  }, async (req) => run(ctx, serviceFor(ctx, req).getTac(req.params.id)));

  const revoke = doc('tacs:write', 'tacs', 'Revoke a TAC', '`changed` is false when it was no longer live (not an error).');
  app.delete('/v1/tacs/:id', {
    ...revoke,
    schema: { ...revoke.schema, params: S.IdParams, response: { 200: S.RevokeResult, ...problems } },
  }, async (req) => ctx.writes.run(() => serviceFor(ctx, req).revokeTac(req.params.id)));

  const revokeUser = doc('tacs:write', 'tacs', 'Revoke every live TAC of a user');
  app.delete('/v1/users/:ref/tacs', {
    ...revokeUser,
    schema: { ...revokeUser.schema, params: S.RefParams, response: { 200: arrayOf(S.Tac), ...problems } },
  }, async (req) => ctx.writes.run(() => serviceFor(ctx, req).revokeUserTacs(req.params.ref)));

  const verify = doc('tacs:verify', 'tacs', 'Verify a code for a user (relying apps)',
    'Always 200 with a verdict for a well-formed request; failures count toward the user\'s lockout. Rate limited per client.');
  app.post('/v1/tacs/verify', {
    ...verify,
    // Checked by the auth hook once the client is known (not an address it may share).
    config: { ...verify.config, clientLimit: new ClientLimit(opts.verifyPerMinute ?? DEFAULT_VERIFY_PER_MINUTE, 60_000, ctx.clock) },
    schema: { ...verify.schema, body: S.VerifyRequest, response: { 200: S.Verdict, ...problems } },
  }, async (req, reply) => {
    const verdict = await ctx.writes.runGrouped(() => serviceFor(ctx, req).verify(req.body.user, req.body.code));
    const json = verdictJson(verdict);
    // The content type Fastify gives a serialized object; a value the hand-written serializer does
    // not take goes through the schema's.
    return json === undefined ? verdict : (reply as FastifyReply).type(JSON_TYPE).send(json);
  });

  const purge = doc('policy:write', 'tacs', 'Delete finished TACs older than the policy\'s purgeAfterDays');
  app.post('/v1/purge', {
    ...purge,
    // The body is optional here (no body = a real purge), so validate an absent one as {}.
    preValidation: async (req) => {
      req.body ??= {};
    },
    schema: { ...purge.schema, body: S.PurgeRequest, response: { 200: S.PurgeResult, ...problems } },
  }, async (req) => ctx.writes.run(() => serviceFor(ctx, req).purge(Boolean(req.body.dryRun))));
};
