/** Administration of accounts: listing, roles, disabling, deleting, and the first admin at start. */

import { Type } from '@fastify/type-provider-typebox';
import type { AuditActor } from '../../platform/audit/actor.js';
import type { PasswordHasher } from '../../platform/auth/passwords.js';
import type { OutboxRelay } from '../../platform/bus/outbox.js';
import type { Clock } from '../../platform/clock.js';
import { CursorPart, decodeOptional, defineCursor, toPage } from '../../platform/http/pagination.js';
import { newId } from '../../platform/ids.js';
import { LastAdmin, UserNotFound } from './errors.js';
import { IdentityEvents } from './events.js';
import type { IdentityRepo } from './repo.js';
import type { IdentityService } from './service.js';
import { normaliseEmail, securityEvent, sessionsRevoked } from './service.js';
import type { UserRow } from './tables.js';

const userCursor = defineCursor(Type.Tuple([CursorPart.uuid()]));

export interface AdminServiceDeps {
  repo: IdentityRepo;
  identity: IdentityService;
  passwords: PasswordHasher;
  /** Kicked after a commit that wrote events to the outbox. */
  relay: Pick<OutboxRelay, 'kick'>;
  clock: Clock;
}

export function createAdminService(deps: AdminServiceDeps) {
  const { repo, clock } = deps;

  /** Inside a transaction: refuses a change that would leave no active admin. */
  async function guardLastAdmin(tx: IdentityRepo, target: UserRow, stillActiveAdmin: boolean) {
    if (stillActiveAdmin) return;
    // FOR UPDATE on every active admin serialises concurrent demotions: two admins demoting
    // each other cannot both see "one other admin left".
    const admins = await tx.lockActiveAdmins();
    if (admins.includes(target.id) && admins.length === 1) {
      throw LastAdmin('This is the only active admin; promote another user first');
    }
  }

  return {
    async listUsers(query: { q?: string; role?: 'user' | 'admin'; limit: number; cursor?: string }) {
      const before = decodeOptional(userCursor, query.cursor)?.[0];
      const rows = await repo.listUsers({ q: query.q, role: query.role, before, limit: query.limit + 1 });
      return toPage(
        rows,
        query.limit,
        userCursor,
        (u) => [u.id],
        (u) => u,
      );
    },

    async updateUser(id: string, patch: { role?: 'user' | 'admin'; disabled?: boolean }, actor: AuditActor): Promise<UserRow> {
      const now = clock.now();
      const { user, changed, justDisabled } = await repo.transaction(async (tx) => {
        const current = await tx.findUserById(id);
        if (!current) throw UserNotFound();
        const role = patch.role ?? current.role;
        const disabled = patch.disabled ?? current.disabledAt !== null;
        await guardLastAdmin(tx, current, role === 'admin' && !disabled);
        const user = (await tx.updateUser(id, { role, disabledAt: disabled ? (current.disabledAt ?? now) : null }, now)) as UserRow;
        const justDisabled = disabled && !current.disabledAt;
        const revoked = justDisabled ? await tx.revokeUserSessions(id, 'user-disabled', now) : [];
        if (justDisabled) await tx.enqueueEvent(IdentityEvents.userDisabled, { userId: id });
        await tx.enqueueSessionChanges(id, revoked, null);
        // Session gates remember each session's role; a role change must reach them at once.
        const stale = !justDisabled && role !== current.role ? await tx.listLiveSessionIds(id, now) : [];
        await tx.enqueueSessionChanges(id, stale, role);
        // The user's own history says what happened to them, not which admin or from where (that is the audit trail's).
        await tx.recordSecurityEvents([
          ...(role !== current.role ? [securityEvent(id, 'role_changed', null, now, { details: { from: current.role, to: role } })] : []),
          ...sessionsRevoked(id, revoked, 'user-disabled', null, now),
        ]);
        const target = { type: 'user', id };
        await tx.audit(actor, now, [
          ...(role !== current.role
            ? [{ action: 'identity.user.role_changed', target, before: { role: current.role }, after: { role } }]
            : []),
          ...(disabled !== (current.disabledAt !== null)
            ? [
                {
                  action: disabled ? 'identity.user.disabled' : 'identity.user.enabled',
                  target,
                  before: { disabled: !disabled },
                  after: { disabled },
                },
              ]
            : []),
        ]);
        return { user, changed: [...revoked, ...stale], justDisabled };
      });
      deps.identity.sessionsChanged(changed);
      // The session changes are events too: every gate must hear of them now, not at the relay's next poll.
      if (justDisabled || changed.length) deps.relay.kick();
      return user;
    },

    async deleteUser(id: string, actor: AuditActor): Promise<void> {
      const sessionIds = await repo.transaction(async (tx) => {
        const current = await tx.findUserById(id);
        if (!current) throw UserNotFound();
        await guardLastAdmin(tx, current, false);
        // Read before the cascade deletes them, so every session gate can drop them.
        const live = await tx.listLiveSessionIds(id, clock.now());
        await tx.deleteUser(id);
        // The id and role only: the account's personal data goes with it, also from the trail.
        await tx.audit(actor, clock.now(), [
          {
            action: 'identity.user.deleted',
            target: { type: 'user', id },
            before: { role: current.role, disabled: current.disabledAt !== null },
          },
        ]);
        await tx.enqueueEvent(IdentityEvents.userDeleted, { userId: id });
        await tx.enqueueSessionChanges(id, live, null);
        return live;
      });
      deps.identity.sessionsChanged(sessionIds);
      deps.relay.kick();
    },

    /** Creates the configured admin, or promotes and re-enables the existing account. Idempotent. */
    async ensureAdmin(rawEmail: string, password: string) {
      const email = normaliseEmail(rawEmail);
      const now = clock.now();
      const existing = await repo.findUserByEmail(email);
      if (!existing) {
        const passwordHash = await deps.passwords.hash(password);
        const inserted = await repo.insertUserIfAbsent({
          id: newId(),
          email,
          name: 'Administrator',
          passwordHash,
          role: 'admin',
          emailVerifiedAt: now,
          createdAt: now,
          updatedAt: now,
        });
        if (inserted) return 'created' as const;
      }
      const user = existing ?? (await repo.findUserByEmail(email));
      if (user && (user.role !== 'admin' || user.disabledAt)) {
        const promoted = await repo.transaction(async (tx) => {
          await tx.updateUser(user.id, { role: 'admin', disabledAt: null }, now);
          // A disabled account has no live sessions; a promoted one's keep living, as admin's.
          const live = user.role !== 'admin' ? await tx.listLiveSessionIds(user.id, now) : [];
          await tx.enqueueSessionChanges(user.id, live, 'admin');
          return live;
        });
        deps.identity.sessionsChanged(promoted);
        return 'promoted' as const;
      }
      return 'unchanged' as const;
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
