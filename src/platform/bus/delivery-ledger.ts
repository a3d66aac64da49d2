/**
 * What consumers remember about deliveries, in PostgreSQL so every instance agrees: which
 * module already handled which event (dedupe), and the events a module gave up on (dead
 * letters). Both bus adapters use it, so embedded and NATS deliver with the same semantics.
 */
import { and, eq, lt, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { newId } from '../ids.js';
import type { BusEvent } from './bus-event.js';
import { deadEvents, handledEvents } from './tables.js';

/** A module's failed event, as written to the dead letters. */
export interface DeadLetter {
  module: string;
  event: BusEvent;
  deliveries: number;
  error: string;
}

export interface DeliveryLedger {
  /** True when `module` already handled the event (a duplicate publish or a redelivery). */
  wasHandled(module: string, eventId: string): Promise<boolean>;
  markHandled(module: string, eventId: string): Promise<void>;
  /** Writes a dead letter; a second one for the same open (module, event) is ignored. */
  bury(letter: DeadLetter): Promise<void>;
}

/** Handled marks are kept a day longer than the stream keeps events (7 days). */
const HANDLED_RETENTION = '8 days';
const PRUNE_EVERY_MS = 3_600_000;

/** The ledger on the platform database. */
export function createDeliveryLedger(db: Executor): DeliveryLedger {
  let lastPrune = 0;
  return {
    async wasHandled(module, eventId) {
      const rows = await db
        .select({ eventId: handledEvents.eventId })
        .from(handledEvents)
        .where(and(eq(handledEvents.module, module), eq(handledEvents.eventId, eventId)))
        .limit(1);
      return rows.length > 0;
    },
    async markHandled(module, eventId) {
      await db.insert(handledEvents).values({ module, eventId }).onConflictDoNothing();
      if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
        lastPrune = Date.now();
        await db.delete(handledEvents).where(lt(handledEvents.handledAt, sql`now() - ${HANDLED_RETENTION}::interval`));
      }
    },
    async bury({ module, event, deliveries, error }) {
      await db
        .insert(deadEvents)
        .values({
          id: newId(),
          eventId: event.id,
          module,
          type: event.type,
          payload: event.payload,
          occurredAt: new Date(event.occurredAt),
          deliveries,
          error,
        })
        .onConflictDoNothing();
    },
  };
}

/** A ledger in memory, for bus unit tests that run without a database. */
export function createMemoryLedger(): DeliveryLedger & { dead: DeadLetter[] } {
  const handled = new Set<string>();
  const dead: DeadLetter[] = [];
  return {
    dead,
    async wasHandled(module, eventId) {
      return handled.has(`${module}\n${eventId}`);
    },
    async markHandled(module, eventId) {
      handled.add(`${module}\n${eventId}`);
    },
    async bury(letter) {
      dead.push(letter);
    },
  };
}
