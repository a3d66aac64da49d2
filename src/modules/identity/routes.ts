/** HTTP routes of the identity module: validate -> service -> wire shape. */

import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../../platform/audit/actor.js';
import { caller } from '../../platform/http/access.js';
import { CursorPart, decodeOptional, defineCursor, toPage } from '../../platform/http/pagination.js';
import { NoContent, problem } from '../../platform/http/route-helpers.js';
import type { AdminService } from './admin-service.js';
import * as S from './schema.js';
import type { ClientMeta, IdentityService } from './service.js';
import { toSecurityEventWire, toSessionWire, toTokensWire, toUserWire } from './wire.js';

const securityEventCursor = defineCursor(Type.Tuple([CursorPart.uuid()]));

export interface IdentityRoutesOptions {
  identity: IdentityService;
  admin: AdminService;
  /** Requests per IP per minute on each credential-handling route. */
  authRateLimit: number;
}

const clientOf = (request: FastifyRequest): ClientMeta => ({
  ip: request.ip,
  userAgent: request.headers['user-agent']?.slice(0, 300) ?? null,
});

/** Answers that carry tokens must not be kept by a browser or a shared cache (RFC 6749 5.1). */
const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('pragma', 'no-cache');

export const identityRoutes: FastifyPluginAsyncTypebox<IdentityRoutesOptions> = async (app, { identity, admin, authRateLimit }) => {
  app.addSchema(S.User);
  app.addSchema(S.SecurityEvent);
  const publicAuth = { access: 'public' as const, rateLimit: { max: authRateLimit, timeWindow: 60_000 } };
  const tags = ['auth'];

  app.post(
    '/auth/register',
    {
      config: publicAuth,
      schema: {
        tags,
        summary: 'Create an account (role user); always 202, a mail tells the rest',
        description:
          'The same answer whether the address is new or taken, so it cannot be used to find accounts: a new ' +
          'address gets a verification link, a taken one a notice to its owner. The account can log in at once.',
        body: S.RegisterBody,
        response: {
          202: S.Accepted,
          400: problem('VALIDATION_FAILED: a field is malformed or the password is weak'),
          429: problem('RATE_LIMITED'),
        },
      },
    },
    async (request, reply) => {
      await identity.register(request.body);
      return reply.code(202).send({ status: 'accepted' });
    },
  );

  app.post(
    '/auth/login',
    {
      config: publicAuth,
      schema: {
        tags,
        summary: 'Log in; returns an access and a refresh token',
        body: S.LoginBody,
        response: {
          200: S.TokenPair,
          401: problem('INVALID_CREDENTIALS: the email or the password is wrong'),
          403: problem('ACCOUNT_DISABLED'),
          429: problem('LOGIN_LOCKED (this address failed too often for this account) or RATE_LIMITED; see Retry-After'),
        },
      },
    },
    async (request, reply) => noStore(reply).send(toTokensWire(await identity.login(request.body, clientOf(request)))),
  );

  app.post(
    '/auth/refresh',
    {
      config: publicAuth,
      schema: {
        tags,
        summary: 'Rotate a refresh token',
        body: S.RefreshBody,
        response: {
          200: S.TokenPair,
          401: problem('INVALID_REFRESH_TOKEN: unknown, expired, revoked or reused (a reuse ends the session)'),
          403: problem('ACCOUNT_DISABLED'),
        },
      },
    },
    async (request, reply) => noStore(reply).send(toTokensWire(await identity.refresh(request.body.refreshToken, clientOf(request)))),
  );

  app.post(
    '/auth/logout',
    { config: { access: 'user' }, schema: { tags, summary: 'End this session', response: { 204: NoContent } } },
    async (request, reply) => {
      await identity.logout(caller(request), clientOf(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/logout-all',
    { config: { access: 'user' }, schema: { tags, summary: 'End every session of the caller', response: { 204: NoContent } } },
    async (request, reply) => {
      await identity.logoutAll(caller(request), clientOf(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/sessions',
    {
      config: { access: 'user' },
      schema: { tags, summary: 'Live sessions of the caller', response: { 200: Type.Object({ items: Type.Array(S.Session) }) } },
    },
    async (request) => ({
      items: (await identity.listSessions(caller(request))).map(toSessionWire),
    }),
  );

  app.delete(
    '/auth/sessions/:id',
    { config: { access: 'user' }, schema: { tags, summary: 'End one session', params: S.IdParams, response: { 204: NoContent } } },
    async (request, reply) => {
      await identity.revokeSession(caller(request), request.params.id, clientOf(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/password-reset/request',
    {
      config: publicAuth,
      schema: {
        tags,
        summary: 'Mail a reset token to the account’s confirmed address (always 202)',
        description: 'An account whose address is not confirmed yet gets a verification link instead; it can ask again once confirmed.',
        body: S.ResetRequestBody,
        response: { 202: S.Accepted },
      },
    },
    async (request, reply) => {
      identity.requestPasswordReset(request.body.email);
      return reply.code(202).send({ status: 'accepted' });
    },
  );

  app.post(
    '/auth/password-reset/confirm',
    {
      config: publicAuth,
      schema: {
        tags,
        summary: 'Set a new password with a reset token; ends every session',
        body: S.ResetConfirmBody,
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      await identity.confirmPasswordReset(request.body.token, request.body.newPassword, clientOf(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/verify-email/request',
    { config: { access: 'user' }, schema: { tags, summary: 'Mail a new verification token', response: { 202: S.Accepted } } },
    async (request, reply) => {
      await identity.requestEmailVerification(caller(request));
      return reply.code(202).send({ status: 'accepted' });
    },
  );

  app.post(
    '/auth/verify-email/confirm',
    {
      config: publicAuth,
      schema: {
        tags,
        summary: 'Confirm an email address with its token (for an email change: the new address becomes the account’s)',
        body: S.VerifyConfirmBody,
        response: {
          200: S.User,
          400: problem('INVALID_TOKEN: unknown, used or expired'),
          409: problem('EMAIL_TAKEN: the new address of an email change was registered since'),
        },
      },
    },
    async (request) => toUserWire(await identity.confirmEmailVerification(request.body.token, clientOf(request))),
  );

  const me = { tags: ['users'] };
  app.get(
    '/users/me',
    { config: { access: 'user' }, schema: { ...me, summary: 'The caller', response: { 200: S.User } } },
    async (request) => toUserWire(await identity.getUser(caller(request).id)),
  );

  app.patch(
    '/users/me',
    {
      config: { access: 'user' },
      schema: {
        ...me,
        summary: 'Change the name (the email changes through POST /users/me/email)',
        body: S.UpdateMeBody,
        response: { 200: S.User },
      },
    },
    async (request) => toUserWire(await identity.updateMe(caller(request), request.body)),
  );

  app.post(
    '/users/me/email',
    {
      config: { access: 'user', rateLimit: publicAuth.rateLimit },
      schema: {
        ...me,
        summary: 'Ask to change the email; it changes when the new address confirms (always 202)',
        description:
          'Needs the current password. A token goes to the new address (confirm it at POST /auth/verify-email/confirm) ' +
          'and a notice to the current one; the account keeps its current address until then. The answer does not say ' +
          'whether the new address is taken (its owner is told by mail).',
        body: S.ChangeEmailBody,
        response: { 202: S.Accepted, 403: problem('WRONG_PASSWORD: the current password is wrong') },
      },
    },
    async (request, reply) => {
      await identity.requestEmailChange(caller(request), request.body.email, request.body.currentPassword);
      return reply.code(202).send({ status: 'accepted' });
    },
  );

  app.post(
    '/users/me/password',
    {
      config: { access: 'user', rateLimit: publicAuth.rateLimit },
      schema: {
        ...me,
        summary: 'Change password; ends the other sessions',
        body: S.ChangePasswordBody,
        response: {
          204: NoContent,
          400: problem('VALIDATION_FAILED or WEAK_PASSWORD'),
          403: problem('WRONG_PASSWORD: the current password is wrong'),
        },
      },
    },
    async (request, reply) => {
      await identity.changePassword(caller(request), request.body.currentPassword, request.body.newPassword, clientOf(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/users/me/security-events',
    {
      config: { access: 'user' },
      schema: {
        ...me,
        summary: 'The caller’s security history, newest first',
        description:
          'Logins (with device and address), logins from a new device, failed logins with a wrong password, password ' +
          'changes and resets, email changes, ended sessions (with the reason) and role changes. `current`: the event ' +
          'concerns the session making this request.',
        querystring: S.SecurityEventsQuery,
        response: { 200: S.SecurityEventPage },
      },
    },
    async (request) => {
      const { limit } = request.query;
      const [before] = decodeOptional(securityEventCursor, request.query.cursor) ?? [];
      const rows = await identity.listSecurityEvents(caller(request), { before, limit: limit + 1 });
      return toPage(rows, limit, securityEventCursor, (row) => [row.id] as [string], toSecurityEventWire);
    },
  );

  const adminTags = { tags: ['admin'] };
  app.get(
    '/admin/users',
    {
      config: { access: 'admin' },
      schema: { ...adminTags, summary: 'Search users', querystring: S.AdminListQuery, response: { 200: S.UserList } },
    },
    async (request) => {
      const page = await admin.listUsers(request.query);
      return { items: page.items.map(toUserWire), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/admin/users/:id',
    { config: { access: 'admin' }, schema: { ...adminTags, summary: 'One user', params: S.IdParams, response: { 200: S.User } } },
    async (request) => toUserWire(await identity.getUser(request.params.id)),
  );

  app.patch(
    '/admin/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        ...adminTags,
        summary: 'Change role or disable; disabling ends every session',
        params: S.IdParams,
        body: S.AdminUpdateBody,
        response: { 200: S.User, 422: problem('LAST_ADMIN: the last active admin cannot be demoted or disabled') },
      },
    },
    async (request) => toUserWire(await admin.updateUser(request.params.id, request.body, actorOf(request))),
  );

  app.delete(
    '/admin/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        ...adminTags,
        summary: 'Delete a user and their sessions',
        params: S.IdParams,
        response: { 204: NoContent, 422: problem('LAST_ADMIN: the last active admin cannot be deleted') },
      },
    },
    async (request, reply) => {
      await admin.deleteUser(request.params.id, actorOf(request));
      return reply.code(204).send(null);
    },
  );
};
