/** Admin routes over the event dead letters: list them, replay one. */

import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { actorOf } from '../audit/actor.js';
import { CursorPart, decodeOptional, defineCursor, PageQuery, toPage } from '../http/pagination.js';
import { problem } from '../http/route-helpers.js';
import type { DeadEventRow, DeadLetters } from './dead-letters.js';

const DeadEvent = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    eventId: Type.String({ description: 'The bus event id; a module dedupes on it' }),
    module: Type.String({ description: 'The subscribing module whose handler failed; a replay goes to it alone' }),
    type: Type.String({ examples: ['user.deleted'] }),
    payload: Type.Unknown(),
    occurredAt: Type.String({ format: 'date-time' }),
    deliveries: Type.Integer({ description: 'Deliveries tried before giving up' }),
    error: Type.String({ description: 'The last error of the handler' }),
    diedAt: Type.String({ format: 'date-time' }),
    replayedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'DeadEvent' },
);
const DeadEventList = Type.Object({ items: Type.Array(Type.Ref('DeadEvent')), nextCursor: Type.Union([Type.String(), Type.Null()]) });

const cursor = defineCursor(Type.Tuple([CursorPart.uuid()]));

const toWire = (row: DeadEventRow) => ({
  id: row.id,
  eventId: row.eventId,
  module: row.module,
  type: row.type,
  payload: row.payload,
  occurredAt: row.occurredAt.toISOString(),
  deliveries: row.deliveries,
  error: row.error,
  diedAt: row.diedAt.toISOString(),
  replayedAt: row.replayedAt?.toISOString() ?? null,
});

export const deadLetterRoutes: FastifyPluginAsyncTypebox<{ deadLetters: DeadLetters }> = async (app, { deadLetters }) => {
  app.addSchema(DeadEvent);
  const tags = ['admin'];
  app.get(
    '/admin/events/dead',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Events a module gave up on after EVENT_MAX_DELIVERIES, newest first',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: DeadEventList },
      },
    },
    async (request) => {
      const { limit } = request.query;
      const [before] = decodeOptional(cursor, request.query.cursor) ?? [];
      const rows = await deadLetters.list({ limit: limit + 1, before });
      return toPage(rows, limit, cursor, (row) => [row.id] as [string], toWire);
    },
  );
  app.post(
    '/admin/events/dead/:id/replay',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Deliver a dead event again, to the module that failed it; answers at once, the handler runs after',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: {
          202: Type.Ref('DeadEvent'),
          404: problem('DEAD_EVENT_NOT_FOUND'),
          409: problem('DEAD_EVENT_ALREADY_REPLAYED: replayed before; a new failure is a new dead event'),
        },
      },
    },
    async (request, reply) => reply.code(202).send(toWire(await deadLetters.replay(request.params.id, actorOf(request)))),
  );
};
