/** REST routes of the chat module: rooms, members, history, edits and tickets. Handlers: validate -> service -> wire shape. */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { caller } from '../../platform/http/access.js';
import { NoContent, problem } from '../../platform/http/route-helpers.js';
import type { Tickets } from './handshake.js';
import * as S from './schema.js';
import type { ChatService } from './service.js';
import { toMemberWire, toMessageWire, toRoomWire } from './wire.js';

export interface ChatRoutesOptions {
  chat: ChatService;
  tickets: Tickets;
}

const user = { access: 'user' as const };
const notFound = problem('CHAT_ROOM_NOT_FOUND: no such room, or the caller is not a member');

export const chatRoutes: FastifyPluginAsyncTypebox<ChatRoutesOptions> = async (app, { chat, tickets }) => {
  app.addSchema(S.Room);
  app.addSchema(S.Member);
  app.addSchema(S.Message);
  const base = `${app.prefix}/chat`;
  const rooms = { tags: ['chat rooms'] };
  const messages = { tags: ['chat messages'] };

  app.post(
    '/chat/ticket',
    {
      config: user,
      schema: {
        tags: ['chat socket'],
        summary: 'A single-use ticket (30 s) to open the chat WebSocket',
        description:
          `Open \`GET ${app.prefix}/chat/ws?ticket=...\` (WebSocket, subprotocol \`zaplecze.chat.v1\`). The frames are described in ` +
          '[/asyncapi.json](/asyncapi.json). Instead of a ticket, a client may offer the subprotocol `bearer.<access token>` ' +
          'next to `zaplecze.chat.v1`. A missing or bad credential, or a ticket whose session ended since, is refused with ' +
          '401 before the upgrade; an Origin not in CORS_ORIGINS with 403; a user who already has CHAT_MAX_CONNECTIONS_PER_USER ' +
          'sockets open with 429 CHAT_TOO_MANY_CONNECTIONS.',
        response: { 200: S.Ticket },
      },
    },
    async (request, reply) => {
      const { ticket, expiresAt } = await tickets.issue(caller(request));
      // A credential: no cache (browser, proxy) may keep it.
      reply.header('cache-control', 'no-store');
      return { ticket, expiresAt: expiresAt.toISOString() };
    },
  );

  app.post(
    '/chat/rooms',
    {
      config: user,
      schema: {
        ...rooms,
        summary: 'Create a room: public (admins) or private (the caller owns it and invites members)',
        body: S.CreateRoomBody,
        response: {
          201: Type.Ref('ChatRoom'),
          403: problem('CHAT_PUBLIC_ROOM_ADMIN_ONLY'),
          422: problem('CHAT_ROOM_LIMIT_REACHED: the caller owns CHAT_MAX_OWNED_ROOMS private rooms already'),
        },
      },
    },
    async (request, reply) => {
      const room = await chat.createRoom(caller(request), request.body);
      return reply.code(201).header('location', `${base}/rooms/${room.id}`).send(toRoomWire(room));
    },
  );

  app.post(
    '/chat/direct-rooms',
    {
      config: user,
      schema: {
        ...rooms,
        summary: 'The direct-message room of the caller and another user (created on first use)',
        body: S.DirectRoomBody,
        response: {
          200: Type.Ref('ChatRoom'),
          201: Type.Ref('ChatRoom'),
          404: problem('CHAT_USER_NOT_FOUND: no active account with that id'),
          422: problem('CHAT_DIRECT_WITH_SELF'),
        },
      },
    },
    async (request, reply) => {
      const { room, created } = await chat.openDirectRoom(caller(request), request.body.userId);
      if (created) reply.code(201).header('location', `${base}/rooms/${room.id}`);
      return toRoomWire(room);
    },
  );

  app.get(
    '/chat/rooms',
    {
      config: user,
      schema: { ...rooms, summary: 'Rooms the caller is a member of', querystring: S.ListQuery, response: { 200: S.RoomPage } },
    },
    async (request) => {
      const page = await chat.listMyRooms(caller(request).id, request.query);
      return { items: page.items.map(toRoomWire), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/chat/public-rooms',
    { config: user, schema: { ...rooms, summary: 'Every public room (to join)', querystring: S.ListQuery, response: { 200: S.RoomPage } } },
    async (request) => {
      const page = await chat.listPublicRooms(request.query);
      return { items: page.items.map(toRoomWire), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/chat/rooms/:roomId',
    {
      config: user,
      schema: {
        ...rooms,
        summary: 'A room of the caller, or a public room',
        params: S.RoomParams,
        response: { 200: Type.Ref('ChatRoom'), 404: notFound },
      },
    },
    async (request) => toRoomWire(await chat.getRoom(caller(request), request.params.roomId)),
  );

  app.post(
    '/chat/rooms/:roomId/join',
    {
      config: user,
      schema: {
        ...rooms,
        summary: 'Join a public room',
        params: S.RoomParams,
        response: { 200: Type.Ref('ChatRoom'), 404: notFound, 422: problem('CHAT_ROOM_NOT_JOINABLE: private rooms are by invitation') },
      },
    },
    async (request) => toRoomWire(await chat.joinRoom(caller(request), request.params.roomId)),
  );

  app.post(
    '/chat/rooms/:roomId/leave',
    {
      config: user,
      schema: {
        ...rooms,
        summary: 'Leave a room; the caller’s sockets stop receiving it',
        params: S.RoomParams,
        response: { 204: NoContent, 404: notFound, 422: problem('CHAT_DIRECT_ROOM_FIXED') },
      },
    },
    async (request, reply) => {
      await chat.leaveRoom(caller(request), request.params.roomId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/chat/rooms/:roomId/members',
    {
      config: user,
      schema: {
        ...rooms,
        summary: 'Members of a room of the caller',
        params: S.RoomParams,
        querystring: S.ListQuery,
        response: { 200: S.MemberPage, 404: notFound },
      },
    },
    async (request) => {
      const page = await chat.listMembers(caller(request), request.params.roomId, request.query);
      return { items: page.items.map(toMemberWire), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/chat/rooms/:roomId/members',
    {
      config: user,
      schema: {
        ...rooms,
        summary: 'Invite a user: the owner of a private room, or an admin',
        params: S.RoomParams,
        body: S.AddMemberBody,
        response: {
          204: NoContent,
          403: problem('CHAT_NOT_ROOM_OWNER'),
          404: problem('CHAT_ROOM_NOT_FOUND, or CHAT_USER_NOT_FOUND: no active account with that id'),
          422: problem('CHAT_DIRECT_ROOM_FIXED'),
        },
      },
    },
    async (request, reply) => {
      await chat.addMember(caller(request), request.params.roomId, request.body.userId);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/chat/rooms/:roomId/members/:userId',
    {
      config: user,
      schema: {
        ...rooms,
        summary: 'Remove a member (owner of a private room, or an admin); their sockets stop receiving at once',
        params: S.MemberParams,
        response: { 204: NoContent, 403: problem('CHAT_NOT_ROOM_OWNER'), 404: notFound, 422: problem('CHAT_DIRECT_ROOM_FIXED') },
      },
    },
    async (request, reply) => {
      await chat.removeMember(caller(request), request.params.roomId, request.params.userId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/chat/rooms/:roomId/messages',
    {
      config: user,
      schema: {
        ...messages,
        summary: 'History: newest first (before a seq), or oldest first after a seq',
        description:
          'Without `after`, pages go back in time from `before` (default: the newest). With `after` (a seq the client has), ' +
          'pages go forward: what a client missed, e.g. after `replay.truncated`. `nextCursor` continues in the same direction. ' +
          'Deleted messages stay as tombstones (`text: null`), so seq has no holes.',
        params: S.RoomParams,
        querystring: S.HistoryQuery,
        response: { 200: S.MessagePage, 404: notFound },
      },
    },
    async (request) => {
      const page = await chat.history(caller(request), request.params.roomId, request.query);
      return { items: page.items.map(toMessageWire), nextCursor: page.nextCursor };
    },
  );

  app.patch(
    '/chat/rooms/:roomId/messages/:messageId',
    {
      config: user,
      schema: {
        ...messages,
        summary: 'Edit one of the caller’s messages; subscribers get message.edited',
        params: S.MessageParams,
        body: S.EditMessageBody,
        response: { 200: Type.Ref('ChatMessage'), 404: problem('No such live message of the caller in a room of theirs') },
      },
    },
    async (request) => {
      const { roomId, messageId } = request.params;
      return toMessageWire(await chat.editMessage(caller(request), roomId, messageId, request.body.text));
    },
  );

  app.delete(
    '/chat/rooms/:roomId/messages/:messageId',
    {
      config: user,
      schema: {
        ...messages,
        summary: 'Delete a message: the author, or an admin for any; subscribers get message.deleted',
        params: S.MessageParams,
        response: { 204: NoContent, 404: problem('No such live message of the caller in a room of theirs') },
      },
    },
    async (request, reply) => {
      await chat.deleteMessage(caller(request), request.params.roomId, request.params.messageId);
      return reply.code(204).send(null);
    },
  );
};
