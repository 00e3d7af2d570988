import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { run, serviceFor } from '../auth.js';
import type { ServerContext } from '../context.js';
import { IMPORT_BODY_LIMIT_BYTES } from '../limits.js';
import * as S from '../schemas.js';
import { arrayOf, doc, problems } from './common.js';

/** Users: search, show, create, import, unlock, disable/enable, delete. */
export const userRoutes = (ctx: ServerContext): FastifyPluginAsyncJsonSchemaToTs => async (app) => {
  const search = doc('users:read', 'users', 'Search users', 'Case-insensitive substring match on username, email, name and phone.');
  app.get('/v1/users', {
    ...search,
    schema: { ...search.schema, querystring: S.SearchQuery, response: { 200: arrayOf(S.User), ...problems } },
  }, async (req) => run(ctx, serviceFor(ctx, req).searchUsers(req.query.q ?? '', { guestsOnly: req.query.guests, limit: req.query.limit })));

  const create = doc('users:write', 'users', 'Create a user');
  app.post('/v1/users', {
    ...create,
    schema: { ...create.schema, body: S.NewUser, response: { 201: S.User, ...problems } },
  }, async (req, reply) => reply.code(201).send(await ctx.writes.run(() => serviceFor(ctx, req).addUser(req.body))));

  const imp = doc('users:write', 'users', 'Import a batch of users', 'One transaction: every row is created or skipped, or none is.');
  app.post('/v1/users/import', {
    ...imp,
    bodyLimit: IMPORT_BODY_LIMIT_BYTES,
    schema: { ...imp.schema, body: S.UserImportRequest, response: { 200: arrayOf(S.UserImportResult), ...problems } },
  }, async (req) => ctx.writes.run(() => serviceFor(ctx, req).importUserBatch(req.body.rows, req.body.onExisting)));

  const existing = doc('users:read', 'users', 'Which of these emails already belong to a user', 'Import pre-check.');
  app.post('/v1/users/existing', {
    ...existing,
    bodyLimit: IMPORT_BODY_LIMIT_BYTES,
    schema: { ...existing.schema, body: S.ExistingEmailsRequest, response: { 200: arrayOf(S.ExistingEmail), ...problems } },
  }, async (req) => run(ctx, serviceFor(ctx, req).existingEmails(req.body.emails)));

  const show = doc('users:read', 'users', 'Show a user', 'Profile, lock state and current TAC (never its code).');
  app.get('/v1/users/:ref', {
    ...show,
    schema: { ...show.schema, params: S.RefParams, response: { 200: S.UserDetails, ...problems } },
  }, async (req) => run(ctx, serviceFor(ctx, req).showUser(req.params.ref)));

  const unlock = doc('users:unlock', 'users', 'Clear a user\'s failed attempts and lockout');
  app.post('/v1/users/:ref/unlock', {
    ...unlock,
    schema: { ...unlock.schema, params: S.RefParams, response: { 200: S.User, ...problems } },
  }, async (req) => ctx.writes.run(() => serviceFor(ctx, req).unlockUser(req.params.ref)));

  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    const d = doc('users:write', 'users', disabled ? 'Disable a user (revokes their live TAC)' : 'Enable a user');
    app.post(`/v1/users/:ref/${action}`, {
      ...d,
      schema: { ...d.schema, params: S.RefParams, response: { 200: S.User, ...problems } },
    }, async (req) => ctx.writes.run(() => serviceFor(ctx, req).setUserDisabled(req.params.ref, disabled)));
  }

  const del = doc('users:write', 'users', 'Delete a user (revokes their live TAC; audit rows stay)');
  app.delete('/v1/users/:ref', {
    ...del,
    schema: { ...del.schema, params: S.RefParams, response: { 200: S.User, ...problems } },
  }, async (req) => ctx.writes.run(() => serviceFor(ctx, req).deleteUser(req.params.ref)));
};
