/** Reading the audit trail: newest first, filtered by actor, action, target and time. */
import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../db/database.js';
import { auditLog } from './tables.js';

export type AuditRow = typeof auditLog.$inferSelect;

export interface AuditFilter {
  actorId?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

export function createAuditTrail(db: Db) {
  return {
    /** Newest first; `before` is the id of the last row of the previous page. */
    list(filter: AuditFilter, page: { limit: number; before?: string }): Promise<AuditRow[]> {
      const where: (SQL | undefined)[] = [
        filter.actorId ? eq(auditLog.actorId, filter.actorId) : undefined,
        filter.action ? eq(auditLog.action, filter.action) : undefined,
        filter.targetType ? eq(auditLog.targetType, filter.targetType) : undefined,
        filter.targetId ? eq(auditLog.targetId, filter.targetId) : undefined,
        filter.from ? gte(auditLog.at, filter.from) : undefined,
        filter.to ? lt(auditLog.at, filter.to) : undefined,
        page.before ? lt(auditLog.id, page.before) : undefined,
      ];
      return db
        .select()
        .from(auditLog)
        .where(and(...where))
        .orderBy(desc(auditLog.id))
        .limit(page.limit);
    },
  };
}

export type AuditTrail = ReturnType<typeof createAuditTrail>;
