/**
 * The dead letters as admins see them: a newest-first list, and a replay that hands one event
 * back to the module that failed it (once: a replayed letter is closed; if the handler fails
 * again, the event comes back as a new letter).
 */

import { and, desc, eq, isNull, lt } from 'drizzle-orm';
import type { AuditActor } from '../audit/actor.js';
import { recordAudit } from '../audit/audit.js';
import type { Db } from '../db/database.js';
import { defineError } from '../http/errors.js';
import type { EventBus } from './event-bus.js';
import { deadEvents } from './tables.js';

export const DeadEventNotFound = defineError('DEAD_EVENT_NOT_FOUND', 404, 'No such dead event');
export const DeadEventReplayed = defineError('DEAD_EVENT_ALREADY_REPLAYED', 409, 'The dead event was already replayed');

export type DeadEventRow = typeof deadEvents.$inferSelect;

export interface DeadLetters {
  /** Newest first; `before` is the id of the last row of the previous page. */
  list(page: { limit: number; before?: string }): Promise<DeadEventRow[]>;
  /** Marks the letter replayed and redelivers its event to its module. */
  replay(id: string, actor: AuditActor): Promise<DeadEventRow>;
}

export function createDeadLetters({ db, bus }: { db: Db; bus: Pick<EventBus, 'redeliver'> }): DeadLetters {
  return {
    list: ({ limit, before }) =>
      db
        .select()
        .from(deadEvents)
        .where(before ? lt(deadEvents.id, before) : undefined)
        .orderBy(desc(deadEvents.id))
        .limit(limit),
    replay: (id, actor) =>
      db.transaction(async (tx) => {
        const replayedAt = new Date();
        const [row] = await tx
          .update(deadEvents)
          .set({ replayedAt })
          .where(and(eq(deadEvents.id, id), isNull(deadEvents.replayedAt)))
          .returning();
        if (!row) {
          const [existing] = await tx.select({ id: deadEvents.id }).from(deadEvents).where(eq(deadEvents.id, id));
          throw existing ? DeadEventReplayed() : DeadEventNotFound();
        }
        await recordAudit(tx, actor, replayedAt, [
          {
            action: 'platform.dead_event.replayed',
            target: { type: 'dead_event', id },
            before: { replayedAt: null },
            after: { replayedAt },
          },
        ]);
        // Inside the transaction: if the bus refuses it, the letter stays open for another try.
        const event = { id: row.eventId, type: row.type, occurredAt: row.occurredAt.toISOString(), payload: row.payload };
        await bus.redeliver(row.module, event, row.id);
        return row;
      }),
  };
}
