/**
 * The chat use cases. Every read or write of a room's content requires membership (checked in
 * SQL); a room the caller may not see is reported as missing. Changes are published on the
 * room feed after they are committed.
 */

import { Type } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { Principal } from '../../platform/auth/access-tokens.js';
import type { Clock } from '../../platform/clock.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import { ValidationFailed } from '../../platform/http/errors.js';
import { CursorPart, decodeOptional, defineCursor } from '../../platform/http/pagination.js';
import { newId } from '../../platform/ids.js';
import type { UserDirectory } from '../identity/index.js';
import {
  ChatUserNotFound,
  DirectRoomFixed,
  DirectWithSelf,
  HistoryDirection,
  MessageNotFound,
  NotRoomOwner,
  PublicRoomAdminOnly,
  RoomLimitReached,
  RoomNotFound,
  RoomNotJoinable,
} from './errors.js';
import type { RoomFeed } from './feed.js';
import { createMessageWriter } from './message-writer.js';
import type { ChatRepo, HistoryFrom } from './repo.js';
import { MAX_TEXT_BYTES } from './schema.js';
import type { MessageRow, RoomRow } from './tables.js';

const idCursor = defineCursor(Type.Tuple([CursorPart.uuid()]));
// 'a': paging forwards (after seq), 'b': backwards (before seq).
const historyCursor = defineCursor(
  Type.Tuple([Type.Union([Type.Literal('a'), Type.Literal('b')]), Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })]),
);

export interface Page {
  limit: number;
  cursor?: string;
}

export interface HistoryQuery extends Page {
  before?: number;
  after?: number;
}

/** The outcome of posting: the stored message, and whether it was stored by an earlier frame. */
export interface Posted {
  message: MessageRow;
  duplicate: boolean;
}

export type ChatService = ReturnType<typeof createChatService>;

export interface ChatLimits {
  /** Private rooms one user may own. */
  maxOwnedRooms: number;
}

export function createChatService(deps: {
  repo: ChatRepo;
  feed: RoomFeed;
  clock: Clock;
  log: Logger;
  users: UserDirectory;
  limits: ChatLimits;
}) {
  const { repo, feed, clock, users, limits } = deps;

  /** Rooms are only opened with, and invitations only sent to, accounts that exist and are active. */
  async function assertActiveUser(userId: string) {
    if (!(await users.activeUserIds([userId])).has(userId)) throw ChatUserNotFound(`No active account ${userId}`);
  }
  const writer = createMessageWriter({ repo, clock });

  /** The room if the caller is a member; otherwise 404 (also for rooms that exist). */
  async function memberRoom(roomId: string, userId: string) {
    const room = await repo.findRoomOfMember(roomId, userId);
    if (!room) throw RoomNotFound();
    return room;
  }

  /** A page of ids-after-cursor lists: fetch limit + 1 to know whether there is more. */
  async function idPage<T>(page: Page, fetch: (limit: number, after?: string) => Promise<T[]>, keyOf: (row: T) => string) {
    const after = decodeOptional(idCursor, page.cursor)?.[0];
    const rows = await fetch(page.limit + 1, after);
    const items = rows.slice(0, page.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > page.limit && last ? idCursor.encode([keyOf(last)]) : null };
  }

  /** Public rooms may be managed by admins; private ones by their owner (and admins). */
  function mayManage(room: RoomRow, who: Principal) {
    return who.role === 'admin' || (room.kind === 'private' && room.ownerId === who.id);
  }

  return {
    async createRoom(who: Principal, input: { kind: 'public' | 'private'; name: string }) {
      if (input.kind === 'public' && who.role !== 'admin') throw PublicRoomAdminOnly();
      const now = clock.now();
      const room = { id: newId(), kind: input.kind, name: input.name.trim(), ownerId: who.id, createdAt: now };
      if (input.kind === 'public') return repo.insertRoom(room, [who.id], now);
      // Counted under the owner's lock: concurrent creates cannot all see room for one more.
      return repo.transaction(async (tx) => {
        await tx.lock(who.id);
        const owned = await tx.countOwnedPrivateRooms(who.id);
        if (owned >= limits.maxOwnedRooms) {
          throw RoomLimitReached(`You already own ${owned} private rooms; the limit is ${limits.maxOwnedRooms}`, {
            limit: limits.maxOwnedRooms,
          });
        }
        return tx.insertRoom(room, [who.id], now);
      });
    },

    /** The direct room of the caller and `otherId`, created on first use. */
    async openDirectRoom(who: Principal, otherId: string): Promise<{ room: RoomRow; created: boolean }> {
      if (otherId === who.id) throw DirectWithSelf();
      const directKey = [who.id, otherId].sort().join(':');
      const existing = await repo.findDirectRoom(directKey);
      if (existing) return { room: existing, created: false };
      await assertActiveUser(otherId);
      const now = clock.now();
      try {
        const room = await repo.transaction((tx) =>
          tx.insertRoom({ id: newId(), kind: 'direct', name: null, ownerId: null, directKey, createdAt: now }, [who.id, otherId], now),
        );
        return { room, created: true };
      } catch (err) {
        // Both people opened it at the same moment: the other request created it.
        const raced = isUniqueViolation(err) ? await repo.findDirectRoom(directKey) : null;
        if (!raced) throw err;
        return { room: raced, created: false };
      }
    },

    listMyRooms: (userId: string, page: Page) =>
      idPage(
        page,
        (limit, after) => repo.listRoomsOfMember(userId, limit, after),
        (r) => r.id,
      ),
    listPublicRooms: (page: Page) =>
      idPage(
        page,
        (limit, after) => repo.listPublicRooms(limit, after),
        (r) => r.id,
      ),

    /** A room the caller belongs to, or any public room. */
    async getRoom(who: Principal, roomId: string) {
      const room = await repo.findRoom(roomId);
      if (room && (room.kind === 'public' || (await repo.isMember(roomId, who.id)))) return room;
      throw RoomNotFound();
    },

    async joinRoom(who: Principal, roomId: string) {
      const room = await repo.findRoom(roomId);
      if (!room) throw RoomNotFound();
      if (room.kind !== 'public') {
        if (await repo.isMember(roomId, who.id)) return room;
        throw room.kind === 'direct' ? RoomNotFound() : RoomNotJoinable();
      }
      await repo.addMember(roomId, who.id, clock.now());
      return room;
    },

    async leaveRoom(who: Principal, roomId: string) {
      const room = await memberRoom(roomId, who.id);
      if (room.kind === 'direct') throw DirectRoomFixed();
      if (await repo.removeMember(roomId, who.id)) await feed.memberRemoved(roomId, who.id);
    },

    async listMembers(who: Principal, roomId: string, page: Page) {
      await memberRoom(roomId, who.id);
      const found = await idPage(
        page,
        (limit, after) => repo.listMembers(roomId, limit, after),
        (m) => m.userId,
      );
      const names = await users.displayNames(found.items.map((m) => m.userId));
      return { ...found, items: found.items.map((m) => ({ ...m, displayName: names.get(m.userId) ?? null })) };
    },

    /**
     * Display names of those of `userIds` who are members of the room, by id: a name is shown
     * to the people one shares a room with, never to anyone else.
     */
    async memberNames(roomId: string, userIds: string[]): Promise<Map<string, string>> {
      return users.displayNames(await repo.membersAmong(roomId, userIds));
    },

    /**
     * Makes sure a public room of this name exists (the demo's "general"); true when created.
     * Safe at every start and on several instances at once: the lookup and insert run under a
     * lock on the name.
     */
    async ensurePublicRoom(name: string): Promise<boolean> {
      return repo.transaction(async (tx) => {
        await tx.lock(`public-room:${name}`);
        if (await tx.findPublicRoomByName(name)) return false;
        const now = clock.now();
        await tx.insertRoom({ id: newId(), kind: 'public', name, ownerId: null, createdAt: now }, [], now);
        return true;
      });
    },

    /** Invites a user into a private room (owner) or a public one (admin). True when newly added. */
    async addMember(who: Principal, roomId: string, userId: string) {
      const room = who.role === 'admin' ? await repo.findRoom(roomId) : await repo.findRoomOfMember(roomId, who.id);
      if (!room) throw RoomNotFound();
      if (room.kind === 'direct') throw DirectRoomFixed();
      if (!mayManage(room, who)) throw NotRoomOwner();
      await assertActiveUser(userId);
      return repo.addMember(roomId, userId, clock.now());
    },

    /** Removes a member; their sockets stop receiving the room at once, on every instance. */
    async removeMember(who: Principal, roomId: string, userId: string) {
      const room = who.role === 'admin' ? await repo.findRoom(roomId) : await repo.findRoomOfMember(roomId, who.id);
      if (!room) throw RoomNotFound();
      if (room.kind === 'direct') throw DirectRoomFixed();
      if (userId !== who.id && !mayManage(room, who)) throw NotRoomOwner();
      if (!(await repo.removeMember(roomId, userId))) throw RoomNotFound('That user is not a member of the room');
      await feed.memberRemoved(roomId, userId);
    },

    async history(who: Principal, roomId: string, query: HistoryQuery) {
      await memberRoom(roomId, who.id);
      if (query.before !== undefined && query.after !== undefined) throw HistoryDirection();
      let from: HistoryFrom = query.after !== undefined ? { after: query.after } : { before: query.before ?? Number.MAX_SAFE_INTEGER };
      const cursor = decodeOptional(historyCursor, query.cursor);
      if (cursor) from = cursor[0] === 'a' ? { after: cursor[1] } : { before: cursor[1] };
      const rows = await repo.history(roomId, from, query.limit + 1);
      const items = rows.slice(0, query.limit);
      const last = items[items.length - 1];
      const nextCursor = rows.length > query.limit && last ? historyCursor.encode(['after' in from ? 'a' : 'b', last.seq]) : null;
      return { items, nextCursor };
    },

    /**
     * Stores a message before anyone is told of it. The same (author, clientId) is stored once;
     * a resend returns the first message. Null when the author is not a member.
     */
    async postMessage(authorId: string, roomId: string, text: string, clientId: string): Promise<Posted | null> {
      const result = await writer.write(roomId, authorId, clientId, text);
      if (result.outcome === 'not-member') return null;
      if (result.outcome === 'duplicate') {
        const message = await repo.findMessageByClientId(authorId, clientId);
        return message ? { message, duplicate: true } : null;
      }
      await feed.message(result.message);
      return { message: result.message, duplicate: false };
    },

    /** Messages after `seq`, oldest first, at most `limit`. */
    messagesAfter: (roomId: string, seq: number, limit: number) => repo.history(roomId, { after: seq }, limit),

    /** The room if `userId` is a member, else null. */
    findMemberRoom: (roomId: string, userId: string) => repo.findRoomOfMember(roomId, userId),
    isMember: (roomId: string, userId: string) => repo.isMember(roomId, userId),

    async editMessage(who: Principal, roomId: string, messageId: string, text: string) {
      if (Buffer.byteLength(text) > MAX_TEXT_BYTES) {
        throw ValidationFailed('Text too long', { errors: [{ path: '/text', message: `at most ${MAX_TEXT_BYTES} bytes of UTF-8` }] });
      }
      await memberRoom(roomId, who.id);
      const message = await repo.editMessage(roomId, messageId, who.id, text, clock.now());
      if (!message) throw MessageNotFound('No live message of yours with this id in the room');
      await feed.edited(message);
      return message;
    },

    /** Authors delete their own messages; admins any. */
    async deleteMessage(who: Principal, roomId: string, messageId: string) {
      if (who.role !== 'admin') await memberRoom(roomId, who.id);
      const message = await repo.deleteMessage(roomId, messageId, who.role === 'admin' ? undefined : who.id, clock.now());
      if (!message) throw MessageNotFound('No live message of yours with this id in the room');
      await feed.deleted(message);
    },

    /** Records that `userId` read up to a message and tells the room; false when not a member or no such message. */
    async markRead(userId: string, roomId: string, upToId: string): Promise<boolean> {
      const message = await repo.findMessage(roomId, upToId);
      if (!message || !(await repo.markRead(roomId, userId, message.seq))) return false;
      await feed.read(roomId, userId, upToId, message.seq);
      return true;
    },

    /** Forgets a deleted account's memberships, so their sockets (if any) lose every room. */
    async forgetUser(userId: string) {
      for (const roomId of await repo.removeUserEverywhere(userId)) await feed.memberRemoved(roomId, userId);
    },
  };
}
