/** The transactional outbox: events written in the same transaction as the change they report. */
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, text, timestamp, uuid } from 'drizzle-orm/pg-core';
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
  },
  (t) => [
    // The relay only ever looks at unsent rows; the partial index stays tiny however large the table.
    index('outbox_events_unsent_idx').on(t.id).where(sql`sent_at is null`),
    index('outbox_events_sent_idx').on(t.sentAt),
  ],
);
