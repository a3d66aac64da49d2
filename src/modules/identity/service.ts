/**
 * Identity use cases: accounts, login sessions with rotating refresh tokens, password and
 * email flows. Framework-free: callers pass plain values, never a request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { AccessTokens, Principal } from '../../platform/auth/access-tokens.js';
import type { PasswordHasher } from '../../platform/auth/passwords.js';
import type { OutboxRelay } from '../../platform/bus/outbox.js';
import type { Clock } from '../../platform/clock.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import { ValidationFailed } from '../../platform/http/errors.js';
import { newId } from '../../platform/ids.js';
import type { Mailer } from '../../platform/mail/mailer.js';
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
import type { IdentityRepo } from './repo.js';
import type { SessionRow, UserRow } from './tables.js';

/** Where a request came from, kept on the session for `GET /auth/sessions`. */
export interface ClientMeta {
  ip: string;
  userAgent: string | null;
}

export interface IdentityServiceDeps {
  repo: IdentityRepo;
  tokens: AccessTokens;
  passwords: PasswordHasher;
  throttle: LoginThrottle;
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
/** How long an instance trusts its last answer about a session; see README (revocation delay). */
export const SESSION_CHECK_TTL_MS = 1000;

/** Trimmed, NFC, lower-cased: the one form an email is stored and compared in. */
export const normaliseEmail = (email: string) => email.trim().normalize('NFC').toLowerCase();

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
const newSecretToken = () => randomBytes(32).toString('base64url');

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

  async function sendMailToken(user: Pick<UserRow, 'id' | 'email' | 'name'>, purpose: 'password-reset' | 'email-verification') {
    const token = newSecretToken();
    const now = clock.now();
    await repo.voidMailTokens(user.id, purpose, now);
    const ttl = purpose === 'password-reset' ? RESET_TTL_MS : VERIFY_TTL_MS;
    await repo.insertMailToken({
      tokenHash: sha256(token),
      userId: user.id,
      purpose,
      email: user.email,
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttl),
    });
    const [subject, path, action] =
      purpose === 'password-reset'
        ? ['Reset your password', 'reset-password', 'POST it with a new password to /api/v1/auth/password-reset/confirm']
        : ['Confirm your email address', 'verify-email', 'POST it to /api/v1/auth/verify-email/confirm'];
    await deps.mailer.send({
      to: user.email,
      subject,
      text: `Hello ${user.name},\n\nOpen ${deps.publicUrl}/${path}?token=${token}\nor ${action}.\nToken: ${token}\n\nThe link expires in ${ttl / 3_600_000} hours. If you did not ask for this, ignore this message.\n`,
    });
  }

  function forgetSessions(ids: string[]) {
    for (const id of ids) sessionCache.delete(id);
  }

  return {
    async register(input: { email: string; password: string; name: string }): Promise<UserRow> {
      const email = normaliseEmail(input.email);
      assertPassword(input.password, email);
      const now = clock.now();
      const passwordHash = await deps.passwords.hash(input.password);
      let user: UserRow;
      try {
        user = await repo.transaction(async (tx) => {
          const inserted = await tx.insertUser({
            id: newId(),
            email,
            name: input.name.trim(),
            passwordHash,
            role: 'user',
            createdAt: now,
            updatedAt: now,
          });
          await tx.enqueueEvent(IdentityEvents.userRegistered, { userId: inserted.id, email });
          return inserted;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw EmailTaken(`An account with ${email} already exists`);
        throw err;
      }
      deps.relay.kick();
      inBackground('verification mail', () => sendMailToken(user, 'email-verification'));
      return user;
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
        throw InvalidCredentials('The email or the password is wrong');
      }
      if (user.disabledAt) throw AccountDisabled('This account is disabled; contact an administrator');
      await deps.throttle.recordSuccess(email);
      const now = clock.now();
      const sessionId = newId();
      const refreshToken = newSecretToken();
      await repo.insertSessionWithToken(
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
      );
      return tokenPair(user, sessionId, refreshToken);
    },

    /** Rotates a refresh token. A token used twice revokes its whole session (family). */
    async refresh(refreshToken: string, client: ClientMeta) {
      const now = clock.now();
      const consumed = await repo.consumeRefreshToken(sha256(refreshToken), now);
      if (consumed.state === 'unknown') throw InvalidRefreshToken('The refresh token is not valid');
      if (consumed.state === 'reused') {
        const session = await repo.findSession(consumed.sessionId);
        if (session && (await repo.revokeSession(session.userId, session.id, 'refresh-token-reuse', now))) {
          forgetSessions([session.id]);
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

    async logout(principal: Principal) {
      await repo.revokeSession(principal.id, principal.sid, 'logout', clock.now());
      forgetSessions([principal.sid]);
    },

    async logoutAll(principal: Principal) {
      forgetSessions(await repo.revokeUserSessions(principal.id, 'logout-all', clock.now()));
    },

    async listSessions(principal: Principal): Promise<(SessionRow & { current: boolean })[]> {
      const rows = await repo.listLiveSessions(principal.id, clock.now());
      return rows.map((s) => ({ ...s, current: s.id === principal.sid }));
    },

    async revokeSession(principal: Principal, sessionId: string) {
      if (!(await repo.revokeSession(principal.id, sessionId, 'revoked-by-user', clock.now()))) {
        throw SessionNotFound(`No active session ${sessionId}`);
      }
      forgetSessions([sessionId]);
    },

    async getUser(id: string): Promise<UserRow> {
      const user = await repo.findUserById(id);
      if (!user) throw UserNotFound();
      return user;
    },

    async updateMe(principal: Principal, patch: { name?: string; email?: string }): Promise<UserRow> {
      const current = await repo.findUserById(principal.id);
      if (!current) throw UserNotFound();
      const email = patch.email === undefined ? undefined : normaliseEmail(patch.email);
      const emailChanged = email !== undefined && email !== current.email;
      let user: UserRow | undefined;
      try {
        user = await repo.updateUser(
          principal.id,
          {
            ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
            ...(emailChanged ? { email, emailVerifiedAt: null } : {}),
          },
          clock.now(),
        );
      } catch (err) {
        if (isUniqueViolation(err)) throw EmailTaken(`An account with ${email} already exists`);
        throw err;
      }
      if (!user) throw UserNotFound();
      if (emailChanged) inBackground('verification mail', () => sendMailToken(user, 'email-verification'));
      return user;
    },

    /** Changes the password and ends every other session of the user. */
    async changePassword(principal: Principal, currentPassword: string, newPassword: string) {
      const user = await repo.findUserById(principal.id);
      if (!user) throw UserNotFound();
      if (!(await deps.passwords.verify(user.passwordHash, currentPassword))) throw WrongPassword('The current password is wrong');
      assertPassword(newPassword, user.email, '/newPassword');
      const passwordHash = await deps.passwords.hash(newPassword);
      const now = clock.now();
      const revoked = await repo.transaction(async (tx) => {
        await tx.updateUser(user.id, { passwordHash }, now);
        return tx.revokeUserSessions(user.id, 'password-changed', now, principal.sid);
      });
      forgetSessions(revoked);
    },

    /** Always succeeds from the caller's view, so it cannot tell which emails exist. */
    requestPasswordReset(rawEmail: string) {
      const email = normaliseEmail(rawEmail);
      inBackground('password reset mail', async () => {
        const user = await repo.findUserByEmail(email);
        if (user && !user.disabledAt) await sendMailToken(user, 'password-reset');
      });
    },

    async confirmPasswordReset(token: string, newPassword: string) {
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
        return tx.revokeUserSessions(user.id, 'password-reset', now);
      });
      forgetSessions(revoked);
    },

    async requestEmailVerification(principal: Principal) {
      const user = await repo.findUserById(principal.id);
      if (!user) throw UserNotFound();
      if (!user.emailVerifiedAt) inBackground('verification mail', () => sendMailToken(user, 'email-verification'));
    },

    async confirmEmailVerification(token: string): Promise<UserRow> {
      const now = clock.now();
      return repo.transaction(async (tx) => {
        const used = await tx.consumeMailToken(sha256(token), 'email-verification', now);
        const user = used ? await tx.findUserById(used.userId) : undefined;
        // A token for an address the user has since changed proves nothing about the new one.
        if (!used || !user || user.email !== used.email) throw InvalidMailToken('The verification token is invalid, used or expired');
        return (await tx.updateUser(user.id, { emailVerifiedAt: now }, now)) as UserRow;
      });
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

    /** Waits for background mail, for a clean shutdown. */
    async drain() {
      await Promise.all(background);
    },
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
