/** The audit trail: what admins did, written in the same transaction as the change. */
import { index, jsonb, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { platformSchema } from '../mail/tables.js';

export const auditLog = platformSchema.table(
  'audit_log',
  {
    /** UUIDv7: time-ordered, the list's cursor. */
    id: uuid('id').primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    /** Who did it; null for the system (a job, a start-up task). */
    actorId: uuid('actor_id'),
    actorRole: text('actor_role'),
    /** `<module>.<what>`, e.g. `identity.user.role_changed`. */
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    /** Only the fields that changed: `{ field: { before, after } }`; a creation has only `after`s, a deletion only `before`s. */
    changes: jsonb('changes').notNull(),
    requestId: text('request_id'),
    clientAddress: text('client_address'),
  },
  (t) => [
    index('audit_log_actor_idx').on(t.actorId, t.id),
    index('audit_log_target_idx').on(t.targetType, t.targetId, t.id),
    index('audit_log_action_idx').on(t.action, t.id),
  ],
);
