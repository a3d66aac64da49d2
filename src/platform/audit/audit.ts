/**
 * Writing the audit trail. A module calls `recordAudit(tx, ...)` inside the transaction that makes
 * an admin's change, so the record exists exactly when the change committed (a rollback takes
 * both). Who did it, from which address and in which request is the actor the route passed down
 * (actor.ts); outside a request (jobs) it is the system.
 */
import type { Executor } from '../db/database.js';
import { newId } from '../ids.js';
import type { AuditActor } from './actor.js';
import { auditLog } from './tables.js';

export interface AuditEntry {
  /** `<module>.<what>`: `catalog.product.updated`, `shop.order.refunded`. */
  action: string;
  target: { type: string; id: string };
  /** The audited fields before the change (undefined for a creation). */
  before?: object;
  /** The audited fields after the change (undefined for a deletion). */
  after?: object;
}

export type AuditChanges = Record<string, { before?: unknown; after?: unknown }>;

/** The fields whose value differs, with both sides; a field absent on one side is omitted there. */
export function changedFields(beforeFields: object | undefined, afterFields: object | undefined): AuditChanges {
  const before = beforeFields as Record<string, unknown> | undefined;
  const after = afterFields as Record<string, unknown> | undefined;
  const changes: AuditChanges = {};
  for (const field of new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])) {
    const was = before?.[field];
    const now = after?.[field];
    if (JSON.stringify(was) === JSON.stringify(now)) continue;
    changes[field] = { ...(before && field in before ? { before: was } : {}), ...(after && field in after ? { after: now } : {}) };
  }
  return changes;
}

/** Writes the entries on `tx`; `at` is the change's time (the module's clock). */
export async function recordAudit(tx: Executor, actor: AuditActor, at: Date, entries: readonly AuditEntry[]): Promise<void> {
  if (!entries.length) return;
  await tx.insert(auditLog).values(
    entries.map((entry) => ({
      id: newId(),
      at,
      actorId: actor.id,
      actorRole: actor.role,
      action: entry.action,
      targetType: entry.target.type,
      targetId: entry.target.id,
      // Dates and other values as the API shows them.
      changes: JSON.parse(JSON.stringify(changedFields(entry.before, entry.after))),
      requestId: actor.requestId,
      clientAddress: actor.clientAddress,
    })),
  );
}
