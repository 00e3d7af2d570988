import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { serviceFor } from '../auth.js';
import type { ServerContext } from '../context.js';
import { IMPORT_BODY_LIMIT_BYTES } from '../limits.js';
import * as S from '../schemas.js';
import { arrayOf, doc, problems } from './common.js';

/** Guests: a user created together with their first TAC (so these responses carry codes). */
export const guestRoutes = (ctx: ServerContext): FastifyPluginAsyncJsonSchemaToTs => async (app) => {
  const create = doc('guests:write', 'guests', 'Create a guest and issue their first TAC', 'The response holds the code, once.');
  app.post('/v1/guests', {
    ...create,
    schema: { ...create.schema, body: S.GuestRequest, response: { 201: S.IssuedTac, ...problems } },
  }, async (req, reply) => reply.code(201).send(await ctx.writes.run(() => serviceFor(ctx, req).createGuest(req.body))));

  const imp = doc('guests:write', 'guests', 'Import a batch of guests',
    'One transaction per batch. Existing emails fail the batch, are skipped or (guests only) get a new TAC, as onExisting says.');
  app.post('/v1/guests/import', {
    ...imp,
    bodyLimit: IMPORT_BODY_LIMIT_BYTES,
    schema: { ...imp.schema, body: S.GuestImportRequest, response: { 200: arrayOf(S.GuestImportResult), ...problems } },
  }, async (req) => ctx.writes.run(() => serviceFor(ctx, req).importGuestBatch(req.body.rows, req.body.onExisting)));
};
