/** The transactional outbox: events written in the same transaction as the change they report. */
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { platformSchema } from '../mail/tables.js';

export const outboxEvents = platformSchema.table(
  'outbox_events',
  {
    /** UUIDv7: the relay publishes in id order, and consumers may dedupe on it (it is the bus event id). */
    id: uuid('id').primaryKey(),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    /** Failed publish attempts, for operators looking at a stuck row. */
    attempts: integer('attempts').notNull().default(0),
    /** The W3C `traceparent` of the span that wrote the event (tracing on): the relay's publish continues that trace. */
    traceContext: text('trace_context'),
  },
  (t) => [
    // The relay only ever looks at unsent rows; the partial index stays tiny however large the table.
    index('outbox_events_unsent_idx').on(t.id).where(sql`sent_at is null`),
    index('outbox_events_sent_idx').on(t.sentAt),
  ],
);

/**
 * Events a subscribing module gave up on after the configured deliveries, with the last error.
 * Admins list them and replay one to that module (GET/POST /api/v1/admin/events/dead).
 */
export const deadEvents = platformSchema.table(
  'dead_events',
  {
    id: uuid('id').primaryKey(),
    /** The bus event id (the outbox row id for relayed events). */
    eventId: text('event_id').notNull(),
    /** The subscribing module whose handler failed; a replay goes to it alone. */
    module: text('module').notNull(),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    deliveries: integer('deliveries').notNull(),
    error: text('error').notNull(),
    diedAt: timestamp('died_at', { withTimezone: true }).notNull().defaultNow(),
    replayedAt: timestamp('replayed_at', { withTimezone: true }),
  },
  (t) => [
    // One open dead letter per (module, event): a redelivery racing the ack does not bury it twice.
    uniqueIndex('dead_events_open_idx').on(t.module, t.eventId).where(sql`replayed_at is null`),
  ],
);

/**
 * Which module handled which event: consumers dedupe on it, so an event published twice (an
 * outbox relay retry) or redelivered (an ack lost in a reconnect) is handled once per module.
 * Rows outlive the stream's retention and are then pruned.
 */
export const handledEvents = platformSchema.table(
  'handled_events',
  {
    module: text('module').notNull(),
    eventId: text('event_id').notNull(),
    handledAt: timestamp('handled_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.module, t.eventId] }), index('handled_events_handled_at_idx').on(t.handledAt)],
);
