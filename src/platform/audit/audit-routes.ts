/** GET /admin/audit: what admins did, newest first. */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { CursorPart, decodeOptional, defineCursor, PageQuery, toPage } from '../http/pagination.js';
import type { AuditRow, AuditTrail } from './audit-trail.js';

const AuditRecord = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    at: Type.String({ format: 'date-time' }),
    actor: Type.Union([
      Type.Object({ id: Type.String({ format: 'uuid' }), role: Type.Union([Type.String(), Type.Null()]) }),
      Type.Null({ description: 'The system (a job or a start-up task)' }),
    ]),
    action: Type.String({ examples: ['identity.user.role_changed'] }),
    target: Type.Object({ type: Type.String({ examples: ['user'] }), id: Type.String() }),
    changes: Type.Record(Type.String(), Type.Object({ before: Type.Optional(Type.Unknown()), after: Type.Optional(Type.Unknown()) }), {
      description: 'Only the fields that changed; a creation has only `after`, a deletion only `before`',
    }),
    requestId: Type.Union([Type.String(), Type.Null()]),
    clientAddress: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'AuditRecord' },
);
const AuditPage = Type.Object({ items: Type.Array(Type.Ref('AuditRecord')), nextCursor: Type.Union([Type.String(), Type.Null()]) });

const cursor = defineCursor(Type.Tuple([CursorPart.uuid()]));

const toWire = (row: AuditRow) => ({
  id: row.id,
  at: row.at.toISOString(),
  actor: row.actorId ? { id: row.actorId, role: row.actorRole } : null,
  action: row.action,
  target: { type: row.targetType, id: row.targetId },
  changes: row.changes as Record<string, { before?: unknown; after?: unknown }>,
  requestId: row.requestId,
  clientAddress: row.clientAddress,
});

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^[a-z_.-]+$' });

export const auditRoutes: FastifyPluginAsyncTypebox<{ trail: AuditTrail }> = async (app, { trail }) => {
  app.addSchema(AuditRecord);
  app.get(
    '/admin/audit',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary:
          'What admins did (role changes, disables, deletions, product writes and imports, order changes, refunds, dead-letter replays), newest first',
        querystring: Type.Object(
          {
            ...PageQuery,
            actor: Type.Optional(Type.String({ format: 'uuid', description: 'Only this actor' })),
            action: Type.Optional({ ...Name, description: 'Only this action, e.g. catalog.product.updated' }),
            targetType: Type.Optional({ ...Name, description: 'Only targets of this type: user, product, order, dead_event' }),
            targetId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Only this target (with targetType)' })),
            from: Type.Optional(Type.String({ format: 'date-time', description: 'At or after this time' })),
            to: Type.Optional(Type.String({ format: 'date-time', description: 'Before this time' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: AuditPage },
      },
    },
    async (request) => {
      const { limit, actor, action, targetType, targetId, from, to } = request.query;
      const [before] = decodeOptional(cursor, request.query.cursor) ?? [];
      const rows = await trail.list(
        { actorId: actor, action, targetType, targetId, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined },
        { limit: limit + 1, before },
      );
      return toPage(rows, limit, cursor, (row) => [row.id] as [string], toWire);
    },
  );
};
