/**
 * The user directory other modules may consult: which of some user ids are active accounts
 * (existing and not disabled), and their display names. It reveals nothing else (no email, no
 * role), so a module can refuse to invite or message an account that does not exist without
 * learning about it. Callers decide who may see a name (chat: co-members of a room only).
 */
import { and, isNull } from 'drizzle-orm';
import { anyUuid } from '../../platform/db/any-of.js';
import type { Executor } from '../../platform/db/database.js';
import { users } from './tables.js';

export interface UserDirectory {
  /** The subset of `ids` that are active accounts. */
  activeUserIds(ids: string[]): Promise<Set<string>>;
  /** The display names of those of `ids` that are accounts (disabled ones included), by id. */
  displayNames(ids: string[]): Promise<Map<string, string>>;
}

export function createUserDirectory(db: Executor): UserDirectory {
  return {
    async activeUserIds(ids) {
      if (ids.length === 0) return new Set();
      const rows = await db
        .select({ id: users.id })
        .from(users)
        .where(and(anyUuid(users.id, [...new Set(ids)]), isNull(users.disabledAt)));
      return new Set(rows.map((r) => r.id));
    },
    async displayNames(ids) {
      if (ids.length === 0) return new Map();
      const rows = await db
        .select({ id: users.id, name: users.name })
        .from(users)
        .where(anyUuid(users.id, [...new Set(ids)]));
      return new Map(rows.map((r) => [r.id, r.name]));
    },
  };
}
