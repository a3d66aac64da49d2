/** SQL of the identity module. Plain objects out; every function takes the database or a transaction. */
import { and, desc, eq, gt, ilike, inArray, isNull, lt, ne, or, type SQL, sql } from 'drizzle-orm';
import type { AuditActor } from '../../platform/audit/actor.js';
import { type AuditEntry, recordAudit } from '../../platform/audit/audit.js';
import { enqueueEvent, enqueueEvents } from '../../platform/bus/outbox.js';
import type { EventPayloads } from '../../platform/bus/typed-events.js';
import { type Executor, rowsOf } from '../../platform/db/database.js';
import { prepareStatement } from '../../platform/db/prepared-statement.js';
import { newId } from '../../platform/ids.js';
import type { IdentityEventType } from './events.js';
import {
  type MailPurpose,
  mailTokens,
  refreshTokens,
  type SecurityEventRow,
  type SessionRow,
  securityEvents,
  sessions,
  type UserRow,
  users,
} from './tables.js';

export type NewUser = typeof users.$inferInsert;
export type NewSession = Required<Omit<typeof sessions.$inferInsert, 'revokedAt' | 'revokedReason'>>;
export type NewSecurityEvent = Omit<typeof securityEvents.$inferInsert, 'id'>;
export type UserPatch = Partial<Pick<UserRow, 'name' | 'email' | 'emailVerifiedAt' | 'passwordHash' | 'role' | 'disabledAt'>>;

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The identity repository over `db`, with `transaction` to run several calls atomically. */
export type IdentityRepo = ReturnType<typeof queries> & {
  /** Runs `work` in one transaction; every query inside must use the repo it is given. */
  transaction<T>(work: (repo: IdentityRepo) => Promise<T>): Promise<T>;
};

export function createIdentityRepo(db: Executor): IdentityRepo {
  // Every login looks the user up outside any transaction: prepared once, it skips drizzle's query
  // building per call, and PostgreSQL parses and plans it once per connection. A query builder's
  // prepared statement belongs to the pool, so a transaction's repo builds its own (inTransaction).
  const byEmail = userByEmailQuery(db).prepare('identity_user_by_email');
  return {
    ...queries(db),
    async findUserByEmail(email) {
      const [row] = await byEmail.execute({ email });
      return row;
    },
    transaction: (work) => db.transaction((tx) => work(inTransaction(tx))),
  };
}

function inTransaction(tx: Executor): IdentityRepo {
  return { ...queries(tx), transaction: (work) => tx.transaction((inner) => work(inTransaction(inner))) };
}

const userByEmailQuery = (db: Executor) =>
  db
    .select()
    .from(users)
    .where(eq(users.email, sql.placeholder('email')))
    .limit(1);

/**
 * The distinct User-Agents of a user's sessions as a loose index scan over sessions_user_agent_idx:
 * each step jumps to the next greater User-Agent, so it costs a probe per distinct value instead of
 * a read of every session the user ever had (a plain DISTINCT grew with each login). NULL, which no
 * step reaches, is added when a session has it.
 */
const sessionUserAgentsStatement = prepareStatement(
  'identity_session_user_agents',
  sql`
    with recursive agents(user_agent) as (
      select min(user_agent) from ${sessions} where user_id = ${sql.placeholder('userId')}
      union all
      select (select min(s.user_agent) from ${sessions} s where s.user_id = ${sql.placeholder('userId')} and s.user_agent > a.user_agent)
      from agents a where a.user_agent is not null
    )
    select user_agent from agents where user_agent is not null
    union all
    select null where exists (select 1 from ${sessions} where user_id = ${sql.placeholder('userId')} and user_agent is null)
    limit 1000`,
);

/** The session, its refresh token and the security events (a JSON array of NewSecurityEvent with ids), one statement. */
const insertSessionStatement = prepareStatement(
  'identity_insert_session',
  sql`
    with new_session as (
      insert into ${sessions} (id, user_id, ip, user_agent, created_at, last_used_at, expires_at)
      values (${sql.placeholder('id')}, ${sql.placeholder('userId')}, ${sql.placeholder('ip')}, ${sql.placeholder('userAgent')},
              ${sql.placeholder('createdAt')}, ${sql.placeholder('lastUsedAt')}, ${sql.placeholder('expiresAt')})
      returning id
    ), new_token as (
      insert into ${refreshTokens} (token_hash, session_id, created_at)
      select ${sql.placeholder('tokenHash')}, id, ${sql.placeholder('createdAt')} from new_session
    )
    insert into ${securityEvents} (id, user_id, at, type, ip, user_agent, session_id, details)
    select e.id, e."userId", e.at, e.type, e.ip, e."userAgent", e."sessionId", coalesce(e.details, '{}'::jsonb)
    from jsonb_to_recordset(${sql.placeholder('events')}::jsonb)
      as e(id uuid, "userId" uuid, at timestamptz, type text, ip text, "userAgent" text, "sessionId" uuid, details jsonb)`,
);

function queries(db: Executor) {
  return {
    /** Writes an event to the platform outbox, in this transaction (published after it commits). */
    enqueueEvent: <K extends IdentityEventType>(type: K, payload: EventPayloads[K]) => enqueueEvent(db, type, payload),
    /** Writes an admin's change to the audit trail of this transaction. */
    audit: (actor: AuditActor, at: Date, entries: AuditEntry[]) => recordAudit(db, actor, at, entries),

    /** One `session.changed` per session, in this transaction: `role` null when they ended, else the role they keep. */
    async enqueueSessionChanges(userId: string, sessionIds: readonly string[], role: 'user' | 'admin' | null): Promise<void> {
      await enqueueEvents(
        db,
        sessionIds.map((sid) => ({ type: 'session.changed' as const, payload: { sid, userId, role } })),
      );
    },

    async insertUser(user: NewUser): Promise<UserRow> {
      const [row] = await db.insert(users).values(user).returning();
      return row as UserRow;
    },

    /** Inserts unless the email exists; returns whether it was inserted. */
    async insertUserIfAbsent(user: NewUser): Promise<boolean> {
      const rows = await db.insert(users).values(user).onConflictDoNothing({ target: users.email }).returning({ id: users.id });
      return rows.length === 1;
    },

    async findUserByEmail(email: string): Promise<UserRow | undefined> {
      const [row] = await userByEmailQuery(db).execute({ email });
      return row;
    },

    async findUserById(id: string): Promise<UserRow | undefined> {
      const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
      return row;
    },

    async updateUser(id: string, patch: UserPatch, now: Date): Promise<UserRow | undefined> {
      const [row] = await db
        .update(users)
        .set({ ...patch, updatedAt: now, version: sql`${users.version} + 1` })
        .where(eq(users.id, id))
        .returning();
      return row;
    },

    async deleteUser(id: string): Promise<boolean> {
      const rows = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
      return rows.length === 1;
    },

    /** Locks every active admin row (FOR UPDATE) and returns their ids: the last-admin guard's view. */
    async lockActiveAdmins(): Promise<string[]> {
      const rows = await db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.role, 'admin'), isNull(users.disabledAt)))
        .for('update');
      return rows.map((r) => r.id);
    },

    /** Newest first; `before` is the id of the last user of the previous page (UUIDv7 sorts by time). */
    async listUsers(filter: { q?: string; role?: 'user' | 'admin'; before?: string; limit: number }): Promise<UserRow[]> {
      const where: (SQL | undefined)[] = [];
      if (filter.q) {
        const pattern = `%${escapeLike(filter.q)}%`;
        where.push(or(ilike(users.email, pattern), ilike(users.name, pattern)));
      }
      if (filter.role) where.push(eq(users.role, filter.role));
      if (filter.before) where.push(lt(users.id, filter.before));
      return db
        .select()
        .from(users)
        .where(and(...where))
        .orderBy(desc(users.id))
        .limit(filter.limit);
    },

    /** A new session, its first refresh token and the security events of the login, in one statement: atomic, one round trip. */
    async insertSession(session: NewSession, tokenHash: string, events: readonly NewSecurityEvent[]): Promise<void> {
      await insertSessionStatement(db, {
        ...session,
        createdAt: session.createdAt.toISOString(),
        lastUsedAt: session.lastUsedAt.toISOString(),
        expiresAt: session.expiresAt.toISOString(),
        tokenHash,
        events: JSON.stringify(events.map((event) => ({ id: newId(), ...event }))),
      });
    },

    async findSession(id: string): Promise<SessionRow | undefined> {
      const [row] = await db.select().from(sessions).where(eq(sessions.id, id)).limit(1);
      return row;
    },

    async touchSession(id: string, now: Date, expiresAt: Date, meta: { ip: string | null; userAgent: string | null }) {
      await db
        .update(sessions)
        .set({ lastUsedAt: now, expiresAt, ...meta })
        .where(eq(sessions.id, id));
    },

    /** Revokes one session of `userId`; false when it is not theirs or already revoked. */
    async revokeSession(userId: string, sessionId: string, reason: string, now: Date): Promise<boolean> {
      const rows = await db
        .update(sessions)
        .set({ revokedAt: now, revokedReason: reason })
        .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id });
      return rows.length === 1;
    },

    /** Revokes every live session of `userId` except `keep`; returns the revoked ids. */
    async revokeUserSessions(userId: string, reason: string, now: Date, keep?: string): Promise<string[]> {
      const rows = await db
        .update(sessions)
        .set({ revokedAt: now, revokedReason: reason })
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), keep ? ne(sessions.id, keep) : undefined))
        .returning({ id: sessions.id });
      return rows.map((r) => r.id);
    },

    async listLiveSessions(userId: string, now: Date): Promise<SessionRow[]> {
      return db
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
        .orderBy(desc(sessions.lastUsedAt))
        .limit(100);
    },

    /** Every live session of `userId` (no page limit: each must hear of a role change). */
    async listLiveSessionIds(userId: string, now: Date): Promise<string[]> {
      const rows = await db
        .select({ id: sessions.id })
        .from(sessions)
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)));
      return rows.map((r) => r.id);
    },

    /** The role of a session's user when the session is live and the user active; else undefined. */
    async liveSessionRole(sessionId: string, userId: string, now: Date): Promise<'user' | 'admin' | undefined> {
      const [row] = await db
        .select({ role: users.role })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(
          and(
            eq(sessions.id, sessionId),
            eq(sessions.userId, userId),
            isNull(sessions.revokedAt),
            gt(sessions.expiresAt, now),
            isNull(users.disabledAt),
          ),
        )
        .limit(1);
      return row?.role;
    },

    async insertRefreshToken(tokenHash: string, sessionId: string, now: Date): Promise<void> {
      await db.insert(refreshTokens).values({ tokenHash, sessionId, createdAt: now });
    },

    /**
     * Marks a refresh token used, atomically. `fresh`: it was unused (now consumed);
     * `reused`: it had been used before (theft signal); `unknown`: never issued.
     */
    async consumeRefreshToken(
      tokenHash: string,
      now: Date,
    ): Promise<{ state: 'fresh' | 'reused'; sessionId: string } | { state: 'unknown' }> {
      const [used] = await db
        .update(refreshTokens)
        .set({ usedAt: now })
        .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.usedAt)))
        .returning({ sessionId: refreshTokens.sessionId });
      if (used) return { state: 'fresh', sessionId: used.sessionId };
      const [seen] = await db
        .select({ sessionId: refreshTokens.sessionId })
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, tokenHash))
        .limit(1);
      return seen ? { state: 'reused', sessionId: seen.sessionId } : { state: 'unknown' };
    },

    /** Writes to the users' own security history, in this transaction. */
    async recordSecurityEvents(events: readonly NewSecurityEvent[]): Promise<void> {
      if (!events.length) return;
      await db.insert(securityEvents).values(events.map((event) => ({ id: newId(), ...event })));
    },

    /** Newest first; `before` is the id of the last event of the previous page (UUIDv7 sorts by time). */
    async listSecurityEvents(userId: string, page: { before?: string; limit: number }): Promise<SecurityEventRow[]> {
      return db
        .select()
        .from(securityEvents)
        .where(and(eq(securityEvents.userId, userId), page.before ? lt(securityEvents.id, page.before) : undefined))
        .orderBy(desc(securityEvents.id))
        .limit(page.limit);
    },

    /** The distinct User-Agents of the user's sessions, ended or not: the devices seen before. */
    async sessionUserAgents(userId: string): Promise<(string | null)[]> {
      return rowsOf<{ user_agent: string | null }>(await sessionUserAgentsStatement(db, { userId })).map((r) => r.user_agent);
    },

    async insertMailToken(token: typeof mailTokens.$inferInsert): Promise<void> {
      await db.insert(mailTokens).values(token);
    },

    /** Uses a mail token of one of `purposes` once: returns its user, email and purpose if it was unused and unexpired. */
    async consumeMailToken(tokenHash: string, purposes: MailPurpose | MailPurpose[], now: Date) {
      const [row] = await db
        .update(mailTokens)
        .set({ usedAt: now })
        .where(
          and(
            eq(mailTokens.tokenHash, tokenHash),
            inArray(mailTokens.purpose, Array.isArray(purposes) ? purposes : [purposes]),
            isNull(mailTokens.usedAt),
            gt(mailTokens.expiresAt, now),
          ),
        )
        .returning({ userId: mailTokens.userId, email: mailTokens.email, purpose: mailTokens.purpose });
      return row;
    },

    /** Voids the unused tokens of one purpose (a new reset link replaces the old ones). */
    async voidMailTokens(userId: string, purpose: MailPurpose, now: Date) {
      await db
        .update(mailTokens)
        .set({ usedAt: now })
        .where(and(eq(mailTokens.userId, userId), eq(mailTokens.purpose, purpose), isNull(mailTokens.usedAt)));
    },
  };
}
