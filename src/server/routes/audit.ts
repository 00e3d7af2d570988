import { Readable } from 'node:stream';
import type { FastifyPluginAsyncJsonSchemaToTs } from '@fastify/type-provider-json-schema-to-ts';
import { run, serviceFor } from '../auth.js';
import type { ServerContext } from '../context.js';
import { MAX_AUDIT_LIMIT } from '../limits.js';
import * as S from '../schemas.js';
import { arrayOf, doc, problems } from './common.js';

/** The audit trail: a JSON array, or every matching event as JSON Lines. */
export const auditRoutes = (ctx: ServerContext): FastifyPluginAsyncJsonSchemaToTs => async (app) => {
  const query = doc('audit:read', 'audit', 'Query audit events', 'Newest first; 100 by default.');
  app.get('/v1/audit', {
    ...query,
    schema: { ...query.schema, querystring: S.AuditQuery, response: { 200: arrayOf(S.AuditEvent), ...problems } },
  }, async (req) => run(ctx, serviceFor(ctx, req).queryAudit(req.query)));

  const exp = doc('audit:read', 'audit', 'Export audit events as JSON Lines', `Newest first; up to ${MAX_AUDIT_LIMIT} events unless limit says fewer.`);
  app.get('/v1/audit/export', {
    ...exp,
    schema: {
      ...exp.schema,
      querystring: S.AuditQuery,
      produces: ['application/x-ndjson'],
      response: {
        200: { description: 'One audit event (see AuditEvent) per line.', content: { 'application/x-ndjson': { schema: { type: 'string' } } } },
        ...problems,
      },
    },
  }, async (req, reply) => {
    const events = await run(ctx, serviceFor(ctx, req).queryAudit({ ...req.query, limit: req.query.limit ?? MAX_AUDIT_LIMIT }));
    reply.type('application/x-ndjson');
    const lines = Readable.from((function* () {
      for (const e of events) yield `${JSON.stringify(e)}\n`;
    })());
    // A stream bypasses serialization; the type provider only knows the documented string body.
    return reply.send(lines as unknown as string);
  });
};
