/**
 * Identity use cases: accounts, login sessions with rotating refresh tokens, password and
 * email flows. Framework-free: callers pass plain values, never a request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { AccessTokens, Principal } from '../../platform/auth/access-tokens.js';
import type { PasswordHasher } from '../../platform/auth/passwords.js';
import type { OutboxRelay } from '../../platform/bus/outbox.js';
import type { KeyValueStore } from '../../platform/cache/key-value-store.js';
import type { Clock } from '../../platform/clock.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import { API_PREFIX } from '../../platform/http/api-prefix.js';
import { ValidationFailed } from '../../platform/http/errors.js';
import { newId } from '../../platform/ids.js';
import type { Mailer } from '../../platform/mail/mailer.js';
import { deviceOf } from './device.js';
import {
  AccountDisabled,
  EmailTaken,
  InvalidCredentials,
  InvalidMailToken,
  InvalidRefreshToken,
  LoginLocked,
  SessionNotFound,
  UserNotFound,
  WrongPassword,
} from './errors.js';
import { IdentityEvents } from './events.js';
import type { LoginThrottle } from './login-throttle.js';
import { passwordProblem } from './password-policy.js';
import type { IdentityRepo, NewSecurityEvent } from './repo.js';
import type { MailPurpose, SecurityEventRow, SecurityEventType, SessionRow, UserRow } from './tables.js';

/** Where a request came from, kept on the session (`GET /auth/sessions`) and in the security events. */
export interface ClientMeta {
  ip: string;
  userAgent: string | null;
}

export interface IdentityServiceDeps {
  repo: IdentityRepo;
  tokens: AccessTokens;
  passwords: PasswordHasher;
  throttle: LoginThrottle;
  /** Short-lived marks shared by instances: at most one unasked-for notice per address per hour. */
  marks: KeyValueStore;
  mailer: Mailer;
  /** Kicked after a commit that wrote events to the outbox. */
  relay: Pick<OutboxRelay, 'kick'>;
  clock: Clock;
  log: Logger;
  refreshTtlMs: number;
  publicUrl: string;
}

const RESET_TTL_MS = 60 * 60_000;
const VERIFY_TTL_MS = 48 * 60 * 60_000;
const NOTICE_INTERVAL_MS = 60 * 60_000;
/** How long an instance trusts its last answer about a session; see README (revocation delay). */
export const SESSION_CHECK_TTL_MS = 1000;

/** Trimmed, NFC, lower-cased: the one form an email is stored and compared in. */
export const normaliseEmail = (email: string) => email.trim().normalize('NFC').toLowerCase();

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
const newSecretToken = () => randomBytes(32).toString('base64url');

/** One entry of a user's security history; `client` null when an admin or the system acted. */
export function securityEvent(
  userId: string,
  type: SecurityEventType,
  client: ClientMeta | null,
  at: Date,
  extra: { sessionId?: string | null; details?: Record<string, unknown> } = {},
): NewSecurityEvent {
  return {
    userId,
    at,
    type,
    ip: client?.ip ?? null,
    userAgent: client?.userAgent ?? null,
    sessionId: extra.sessionId ?? null,
    details: extra.details ?? {},
  };
}

/** A `session_revoked` for each ended session, saying why. */
export const sessionsRevoked = (userId: string, ids: readonly string[], reason: string, client: ClientMeta | null, at: Date) =>
  ids.map((sessionId) => securityEvent(userId, 'session_revoked', client, at, { sessionId, details: { reason } }));

function assertPassword(password: string, email?: string, path = '/password') {
  const problem = passwordProblem(password, { email });
  if (problem) throw ValidationFailed(`${path} ${problem}`, { errors: [{ path, message: problem }] });
}

export function createIdentityService(deps: IdentityServiceDeps) {
  const { repo, clock } = deps;
  const background = new Set<Promise<void>>();
  const sessionCache = new Map<string, { role: 'user' | 'admin' | undefined; until: number }>();

  /** Work the caller must not wait for (and must not be able to time): mail. */
  function inBackground(what: string, task: () => Promise<void>) {
    const run = task()
      .catch((err) => deps.log.error({ err }, `${what} failed`))
      .finally(() => background.delete(run));
    background.add(run);
  }

  async function tokenPair(user: UserRow, sessionId: string, refreshToken: string) {
    const accessToken = await deps.tokens.sign({ id: user.id, role: user.role, sid: sessionId });
    return { accessToken, refreshToken, tokenType: 'Bearer' as const, expiresIn: deps.tokens.ttlSeconds, user };
  }

  /** The next refresh token of a session (rotation), with a fresh access token. */
  async function rotateTokens(user: UserRow, sessionId: string) {
    const refreshToken = newSecretToken();
    await repo.insertRefreshToken(sha256(refreshToken), sessionId, clock.now());
    return tokenPair(user, sessionId, refreshToken);
  }

  const MAIL_TOKENS = {
    'password-reset': {
      ttl: RESET_TTL_MS,
      subject: 'Reset your password',
      path: 'reset-password',
      action: `POST it with a new password to ${API_PREFIX}/auth/password-reset/confirm`,
    },
    'email-verification': {
      ttl: VERIFY_TTL_MS,
      subject: 'Confirm your email address',
      path: 'verify-email',
      action: `POST it to ${API_PREFIX}/auth/verify-email/confirm`,
    },
    'email-change': {
      ttl: VERIFY_TTL_MS,
      subject: 'Confirm your new email address',
      path: 'verify-email',
      action: `POST it to ${API_PREFIX}/auth/verify-email/confirm; until then the account keeps its old address`,
    },
  } as const;

  /** Mails a single-use token proving `to` (the user's address unless an email change names another). */
  async function sendMailToken(
    user: Pick<UserRow, 'id' | 'email' | 'name'>,
    purpose: MailPurpose,
    options: { to?: string; note?: string } = {},
  ) {
    const to = options.to ?? user.email;
    const token = newSecretToken();
    const now = clock.now();
    const kind = MAIL_TOKENS[purpose];
    await repo.voidMailTokens(user.id, purpose, now);
    await repo.insertMailToken({
      tokenHash: sha256(token),
      userId: user.id,
      purpose,
      email: to,
      createdAt: now,
      expiresAt: new Date(now.getTime() + kind.ttl),
    });
    await deps.mailer.send({
      to,
      subject: kind.subject,
      text: `Hello ${user.name},\n\n${options.note ? `${options.note}\n\n` : ''}Open ${deps.publicUrl}/${kind.path}?token=${token}\nor ${kind.action}.\nToken: ${token}\n\nThe link expires in ${kind.ttl / 3_600_000} hours. If you did not ask for this, ignore this message.\n`,
    });
  }

  /** A plain notice without a token (someone used this address; the address changed). */
  async function sendNotice(to: string, subject: string, body: string) {
    await deps.mailer.send({ to, subject, text: `Hello,\n\n${body}\n` });
  }

  /** A notice nobody at `to` asked for (a sign-up or a move to a taken address): at most one an hour, so it cannot be used to flood a mailbox. */
  async function sendUnaskedNotice(to: string, subject: string, body: string) {
    if (await deps.marks.setIfAbsent(`notice:${to}`, '1', NOTICE_INTERVAL_MS)) await sendNotice(to, subject, body);
  }

  /**
   * Tells the owner of a login from a device their account has not used before, and how to undo it.
   * The device family only, not the raw User-Agent: that is the client's free text and must not write into the mail.
   */
  async function sendNewDeviceMail(user: Pick<UserRow, 'email' | 'name'>, sessionId: string, device: string, client: ClientMeta, at: Date) {
    await deps.mailer.send({
      to: user.email,
      subject: 'New sign-in to your account',
      text:
        `Hello ${user.name},\n\nYour account was signed in to from a device it has not used before.\n\n` +
        `When: ${at.toISOString()}\nDevice: ${device}\nAddress: ${client.ip}\n\n` +
        `If this was you, there is nothing to do. If this was not you, change your password now at ${deps.publicUrl}/reset-password ` +
        `(this ends every session), or end this session with DELETE ${API_PREFIX}/auth/sessions/${sessionId}.\n` +
        `Your recent security events: GET ${API_PREFIX}/users/me/security-events.\n`,
    });
  }

  function forgetSessions(ids: readonly string[]) {
    for (const id of ids) sessionCache.delete(id);
  }

  /** After a commit that changed sessions: this instance forgets them now, the others when session.changed reaches them. */
  function sessionsChanged(ids: readonly string[]) {
    forgetSessions(ids);
    if (ids.length) deps.relay.kick();
  }

  /**
   * Runs `revoke` (which returns the sessions it ended) in a transaction that also writes a
   * session.changed for each, so the rest of the cluster hears of exactly what committed, and
   * tells the user in their security history.
   */
  async function endSessions(
    userId: string,
    why: { reason: string; client: ClientMeta | null; at: Date },
    revoke: (tx: IdentityRepo) => Promise<string[]>,
  ): Promise<string[]> {
    const ended = await repo.transaction(async (tx) => {
      const ids = await revoke(tx);
      await tx.enqueueSessionChanges(userId, ids, null);
      await tx.recordSecurityEvents(sessionsRevoked(userId, ids, why.reason, why.client, why.at));
      return ids;
    });
    sessionsChanged(ended);
    return ended;
  }

  /** Ends one session of `userId`; false when it is not theirs or had ended. */
  async function revokeOne(userId: string, sessionId: string, reason: string, now: Date, client: ClientMeta): Promise<boolean> {
    const ended = await endSessions(userId, { reason, client, at: now }, async (tx) =>
      (await tx.revokeSession(userId, sessionId, reason, now)) ? [sessionId] : [],
    );
    return ended.length > 0;
  }

  return {
    /**
     * Creates the account unless the address is taken. The caller cannot tell which happened
     * (no enumeration): the same answer, the password hashed in both paths, and a mail either
     * way, a verification link for a new account or a notice to the address's owner.
     */
    async register(input: { email: string; password: string; name: string }): Promise<void> {
      const email = normaliseEmail(input.email);
      assertPassword(input.password, email);
      const now = clock.now();
      const passwordHash = await deps.passwords.hash(input.password);
      const user = { id: newId(), email, name: input.name.trim(), passwordHash, role: 'user' as const, createdAt: now, updatedAt: now };
      // The user and its event commit together (the outbox), or neither does.
      const inserted = await repo.transaction(async (tx) => {
        if (!(await tx.insertUserIfAbsent(user))) return false;
        await tx.enqueueEvent(IdentityEvents.userRegistered, { userId: user.id, email });
        return true;
      });
      if (inserted) {
        deps.relay.kick();
        inBackground('verification mail', () => sendMailToken(user, 'email-verification'));
        return;
      }
      inBackground('sign-up notice', () =>
        sendUnaskedNotice(
          email,
          'Someone tried to sign up with your address',
          `Someone tried to create an account with ${email}, which already has one. Nothing was changed.\n` +
            `If it was you, log in, or reset your password at ${deps.publicUrl}/reset-password. If not, ignore this message.`,
        ),
      );
    },

    async login(input: { email: string; password: string }, client: ClientMeta) {
      const email = normaliseEmail(input.email);
      const wait = await deps.throttle.retryAfterMs(email, client.ip);
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        throw LoginLocked(`Too many failed logins; try again in ${seconds} s`, {}, { 'Retry-After': String(seconds) });
      }
      const user = await repo.findUserByEmail(email);
      const ok = await deps.passwords.verify(user?.passwordHash ?? null, input.password);
      if (!ok || !user) {
        await deps.throttle.recordFailure(email, client.ip);
        // Only the owner ever sees it; written in the background so an existing account does not answer slower.
        if (user) {
          const failed = securityEvent(user.id, 'login_failed', client, clock.now());
          inBackground('login_failed event', () => repo.recordSecurityEvents([failed]));
        }
        throw InvalidCredentials('The email or the password is wrong');
      }
      if (user.disabledAt) throw AccountDisabled('This account is disabled; contact an administrator');
      await deps.throttle.recordSuccess(email, client.ip);
      const now = clock.now();
      const sessionId = newId();
      const refreshToken = newSecretToken();
      const device = deviceOf(client.userAgent);
      // Read before the session is written, so it holds only the devices seen before this login.
      // The account's first login has nothing to compare with: not an alert.
      const seen = (await repo.sessionUserAgents(user.id)).map(deviceOf);
      const newDevice = seen.length > 0 && !seen.includes(device);
      const login = { sessionId, details: { device } };
      // One statement, so the session, its refresh token and the events commit together without a transaction's round trips.
      await repo.insertSession(
        {
          id: sessionId,
          userId: user.id,
          ip: client.ip,
          userAgent: client.userAgent,
          createdAt: now,
          lastUsedAt: now,
          expiresAt: new Date(now.getTime() + deps.refreshTtlMs),
        },
        sha256(refreshToken),
        [
          securityEvent(user.id, 'login', client, now, login),
          ...(newDevice ? [securityEvent(user.id, 'login_new_device', client, now, login)] : []),
        ],
      );
      if (newDevice) inBackground('new device mail', () => sendNewDeviceMail(user, sessionId, device, client, now));
      return tokenPair(user, sessionId, refreshToken);
    },

    /** Rotates a refresh token. A token used twice revokes its whole session (family). */
    async refresh(refreshToken: string, client: ClientMeta) {
      const now = clock.now();
      const consumed = await repo.consumeRefreshToken(sha256(refreshToken), now);
      if (consumed.state === 'unknown') throw InvalidRefreshToken('The refresh token is not valid');
      if (consumed.state === 'reused') {
        const session = await repo.findSession(consumed.sessionId);
        if (session && (await revokeOne(session.userId, session.id, 'refresh-token-reuse', now, client))) {
          deps.log.warn({ sessionId: session.id, userId: session.userId }, 'refresh token reused: session revoked');
        }
        throw InvalidRefreshToken('This refresh token was already used; the session has been revoked');
      }
      const session = await repo.findSession(consumed.sessionId);
      const user = session ? await repo.findUserById(session.userId) : undefined;
      if (!session || !user || session.revokedAt || session.expiresAt <= now || user.disabledAt) {
        throw InvalidRefreshToken('The session has ended; log in again');
      }
      await repo.touchSession(session.id, now, new Date(now.getTime() + deps.refreshTtlMs), { ip: client.ip, userAgent: client.userAgent });
      return rotateTokens(user, session.id);
    },

    async logout(principal: Principal, client: ClientMeta) {
      await revokeOne(principal.id, principal.sid, 'logout', clock.now(), client);
    },

    async logoutAll(principal: Principal, client: ClientMeta) {
      const now = clock.now();
      await endSessions(principal.id, { reason: 'logout-all', client, at: now }, (tx) =>
        tx.revokeUserSessions(principal.id, 'logout-all', now),
      );
    },

    async listSessions(principal: Principal): Promise<(SessionRow & { current: boolean })[]> {
      const rows = await repo.listLiveSessions(principal.id, clock.now());
      return rows.map((s) => ({ ...s, current: s.id === principal.sid }));
    },

    async revokeSession(principal: Principal, sessionId: string, client: ClientMeta) {
      if (!(await revokeOne(principal.id, sessionId, 'revoked-by-user', clock.now(), client))) {
        throw SessionNotFound(`No active session ${sessionId}`);
      }
    },

    /** The caller's security history, newest first; `current` marks events of the calling session. */
    async listSecurityEvents(
      principal: Principal,
      page: { before?: string; limit: number },
    ): Promise<(SecurityEventRow & { current: boolean })[]> {
      const rows = await repo.listSecurityEvents(principal.id, page);
      return rows.map((e) => ({ ...e, current: e.sessionId === principal.sid }));
    },

    async getUser(id: string): Promise<UserRow> {
      const user = await repo.findUserById(id);
      if (!user) throw UserNotFound();
      return user;
    },

    async updateMe(principal: Principal, patch: { name?: string }): Promise<UserRow> {
      const user = await repo.updateUser(principal.id, patch.name !== undefined ? { name: patch.name.trim() } : {}, clock.now());
      if (!user) throw UserNotFound();
      return user;
    },

    /**
     * Starts an email change: with the current password, a token goes to the new address and
     * a notice to the old one; the account keeps its old address until the token is confirmed.
     * The answer never says whether the new address is taken: its owner is told by mail.
     */
    async requestEmailChange(principal: Principal, rawEmail: string, currentPassword: string) {
      const user = await repo.findUserById(principal.id);
      if (!user) throw UserNotFound();
      if (!(await deps.passwords.verify(user.passwordHash, currentPassword))) throw WrongPassword('The current password is wrong');
      const email = normaliseEmail(rawEmail);
      if (email === user.email) return;
      inBackground('email change mail', async () => {
        if (await repo.findUserByEmail(email)) {
          await sendUnaskedNotice(
            email,
            'Someone tried to move an account to your address',
            `Someone asked to change another account's email to ${email}, which already has an account. Nothing was changed.`,
          );
        } else {
          await sendMailToken(user, 'email-change', { to: email, note: `You asked to change your account's email to ${email}.` });
        }
        await sendNotice(
          user.email,
          'Your email address is about to change',
          `Someone with your password asked to change your account's email from ${user.email} to ${email}.\n` +
            'It changes only once the new address confirms it. If it was not you, change your password and end your sessions now.',
        );
      });
    },

    /** Changes the password and ends every other session of the user. */
    async changePassword(principal: Principal, currentPassword: string, newPassword: string, client: ClientMeta) {
      const user = await repo.findUserById(principal.id);
      if (!user) throw UserNotFound();
      if (!(await deps.passwords.verify(user.passwordHash, currentPassword))) throw WrongPassword('The current password is wrong');
      assertPassword(newPassword, user.email, '/newPassword');
      const passwordHash = await deps.passwords.hash(newPassword);
      const now = clock.now();
      await endSessions(user.id, { reason: 'password-changed', client, at: now }, async (tx) => {
        await tx.updateUser(user.id, { passwordHash }, now);
        await tx.recordSecurityEvents([securityEvent(user.id, 'password_changed', client, now, { sessionId: principal.sid })]);
        return tx.revokeUserSessions(user.id, 'password-changed', now, principal.sid);
      });
    },

    /** Always succeeds from the caller's view, so it cannot tell which emails exist. */
    requestPasswordReset(rawEmail: string) {
      const email = normaliseEmail(rawEmail);
      inBackground('password reset mail', async () => {
        const user = await repo.findUserByEmail(email);
        if (!user || user.disabledAt) return;
        // A reset link goes only to an address the owner has proved; an unproved one is asked to prove itself first.
        if (user.emailVerifiedAt) await sendMailToken(user, 'password-reset');
        else {
          await sendMailToken(user, 'email-verification', {
            note: 'A password reset was asked for this account. Its address is not confirmed yet: confirm it with this link, then ask for the reset again.',
          });
        }
      });
    },

    async confirmPasswordReset(token: string, newPassword: string, client: ClientMeta) {
      const now = clock.now();
      // Check the password first so a rejected password does not burn the token.
      assertPassword(newPassword, undefined, '/newPassword');
      const passwordHash = await deps.passwords.hash(newPassword);
      const revoked = await repo.transaction(async (tx) => {
        const used = await tx.consumeMailToken(sha256(token), 'password-reset', now);
        if (!used) throw InvalidMailToken('The reset token is invalid, used or expired; request a new one');
        const user = await tx.findUserById(used.userId);
        if (!user || user.disabledAt) throw InvalidMailToken('The reset token is invalid, used or expired; request a new one');
        // Throwing here rolls back, so the token stays usable with a better password.
        assertPassword(newPassword, user.email, '/newPassword');
        await tx.updateUser(user.id, { passwordHash }, now);
        const ended = await tx.revokeUserSessions(user.id, 'password-reset', now);
        await tx.enqueueSessionChanges(user.id, ended, null);
        await tx.recordSecurityEvents([
          securityEvent(user.id, 'password_reset', client, now),
          ...sessionsRevoked(user.id, ended, 'password-reset', client, now),
        ]);
        return ended;
      });
      sessionsChanged(revoked);
    },

    async requestEmailVerification(principal: Principal) {
      const user = await repo.findUserById(principal.id);
      if (!user) throw UserNotFound();
      if (!user.emailVerifiedAt) inBackground('verification mail', () => sendMailToken(user, 'email-verification'));
    },

    /** Confirms the address a token was mailed to: the account's own, or the new one of an email change. */
    async confirmEmailVerification(token: string, client: ClientMeta): Promise<UserRow> {
      const now = clock.now();
      const invalid = () => InvalidMailToken('The verification token is invalid, used or expired');
      const { user, previousEmail } = await repo.transaction(async (tx) => {
        const used = await tx.consumeMailToken(sha256(token), ['email-verification', 'email-change'], now);
        const user = used ? await tx.findUserById(used.userId) : undefined;
        if (!used || !user || user.disabledAt) throw invalid();
        if (used.purpose === 'email-verification') {
          // A token for an address the user has since changed proves nothing about the new one.
          if (user.email !== used.email) throw invalid();
          return { user: (await tx.updateUser(user.id, { emailVerifiedAt: now }, now)) as UserRow, previousEmail: undefined };
        }
        // Tokens mailed to the old address (reset, verification) must not outlive it.
        for (const purpose of ['password-reset', 'email-verification', 'email-change'] as const)
          await tx.voidMailTokens(user.id, purpose, now);
        try {
          const changed = await tx.updateUser(user.id, { email: used.email, emailVerifiedAt: now }, now);
          await tx.recordSecurityEvents([
            securityEvent(user.id, 'email_changed', client, now, { details: { from: user.email, to: used.email } }),
          ]);
          return { user: changed as UserRow, previousEmail: user.email };
        } catch (err) {
          // Taken since the request; only the owner of that mailbox (who holds the token) learns it.
          if (isUniqueViolation(err)) throw EmailTaken(`${used.email} has been registered by another account since the change was asked`);
          throw err;
        }
      });
      if (previousEmail) {
        inBackground('email changed notice', () =>
          sendNotice(
            previousEmail,
            'Your email address was changed',
            `Your account's email was changed from ${previousEmail} to ${user.email}. If it was not you, contact an administrator.`,
          ),
        );
      }
      return user;
    },

    /**
     * The access guard's check: the token's session is live, its user active and still of
     * the token's role. Answers are trusted for SESSION_CHECK_TTL_MS per instance; changes
     * made on this instance take effect at once.
     */
    async isSessionLive(principal: Principal): Promise<boolean> {
      const now = clock.now();
      const cached = sessionCache.get(principal.sid);
      let role = cached && cached.until > now.getTime() ? cached.role : undefined;
      if (!cached || cached.until <= now.getTime()) {
        role = await repo.liveSessionRole(principal.sid, principal.id, now);
        if (sessionCache.size > 50_000) sessionCache.clear();
        sessionCache.set(principal.sid, { role, until: now.getTime() + SESSION_CHECK_TTL_MS });
      }
      return role !== undefined && role === principal.role;
    },

    forgetSessions,
    sessionsChanged,

    /** Waits for background mail, for a clean shutdown. */
    async drain() {
      await Promise.all(background);
    },
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
