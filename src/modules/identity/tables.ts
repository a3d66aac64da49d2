/** Tables of the identity module, in its own Postgres schema. */
import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const identity = pgSchema('identity');

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = identity.table(
  'users',
  {
    id: uuid('id').primaryKey(),
    /** Normalised: trimmed and lower-cased. */
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ['user', 'admin'] })
      .notNull()
      .default('user'),
    emailVerifiedAt: at('email_verified_at'),
    disabledAt: at('disabled_at'),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    uniqueIndex('users_email_key').on(t.email),
    index('users_role_idx').on(t.role, t.id),
    index('users_created_idx').on(t.createdAt, t.id),
    check('users_role_check', sql`${t.role} in ('user', 'admin')`),
  ],
);

/** A login session: one refresh-token family. Revoking it stops its refresh and access tokens. */
export const sessions = identity.table(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    userAgent: text('user_agent'),
    ip: text('ip'),
    createdAt: at('created_at').notNull(),
    lastUsedAt: at('last_used_at').notNull(),
    expiresAt: at('expires_at').notNull(),
    revokedAt: at('revoked_at'),
    revokedReason: text('revoked_reason'),
  },
  (t) => [
    index('sessions_user_idx').on(t.userId, t.lastUsedAt),
    // The devices a user has logged in from, read on every login by skipping from one User-Agent
    // to the next: a few index probes however many sessions the user has had.
    index('sessions_user_agent_idx').on(t.userId, t.userAgent),
  ],
);

/** Refresh tokens: only the SHA-256 of the 256-bit token is stored. A used token stays as evidence of reuse. */
export const refreshTokens = identity.table(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: at('created_at').notNull(),
    usedAt: at('used_at'),
  },
  (t) => [index('refresh_tokens_session_idx').on(t.sessionId)],
);

/** Why a mail token was sent. `email-change`: it proves a new address, which becomes the account's when confirmed. */
export const MAIL_PURPOSES = ['password-reset', 'email-verification', 'email-change'] as const;
export type MailPurpose = (typeof MAIL_PURPOSES)[number];

/** Single-use tokens sent by mail: password reset, email verification and email change. */
export const mailTokens = identity.table(
  'mail_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: MAIL_PURPOSES }).notNull(),
    /** The address the token was mailed to (for a change: the new address it proves). */
    email: text('email').notNull(),
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at').notNull(),
    usedAt: at('used_at'),
  },
  (t) => [index('mail_tokens_user_idx').on(t.userId, t.purpose)],
);

export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;

/** What a user sees in `GET /users/me/security-events`. */
export const SECURITY_EVENT_TYPES = [
  'login',
  'login_new_device',
  'login_failed',
  'password_changed',
  'password_reset',
  'email_changed',
  'session_revoked',
  'role_changed',
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/**
 * A user's own security history, written by identity in the transaction of the change. Not the
 * admin audit trail: this is the account owner's view, and it goes with the account (cascade).
 */
export const securityEvents = identity.table(
  'security_events',
  {
    /** UUIDv7: time-ordered, the list's cursor. */
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    at: at('at').notNull(),
    type: text('type', { enum: SECURITY_EVENT_TYPES }).notNull(),
    /** Where the request came from; null when an admin or the system acted. */
    ip: text('ip'),
    userAgent: text('user_agent'),
    /** The session it concerns (the new one, the revoked one, the one that acted); no foreign key, so history does not depend on session rows. */
    sessionId: uuid('session_id'),
    details: jsonb('details').notNull().default({}),
  },
  (t) => [index('security_events_user_idx').on(t.userId, t.id)],
);

export type SecurityEventRow = typeof securityEvents.$inferSelect;
