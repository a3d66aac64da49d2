/**
 * What the chat module publishes on the realtime port, after the change is committed. One
 * channel per room carries the frames its subscribers receive plus `member.removed`, which
 * every instance acts on and never forwards; one channel carries account kicks.
 */
import type { Logger } from 'pino';
import type { RealtimePort } from '../../platform/realtime/realtime.js';
import type { MessageRow } from './tables.js';
import { encodeFrame, toMessageWire } from './wire.js';

export const roomChannel = (roomId: string) => `chat:room:${roomId}`;
/** Presence set of a room: user ids with a socket subscribed to it somewhere. */
export const roomPresence = (roomId: string) => `chat:room:${roomId}`;
export const USERS_CHANNEL = 'chat:users';

/** Internal control events on the room and user channels (not sent to clients). */
export const MEMBER_REMOVED = 'member.removed';
export const KICK = 'kick';

export type RoomFeed = ReturnType<typeof createRoomFeed>;

export function createRoomFeed(realtime: RealtimePort, log: Logger) {
  // The message is stored already; a failed fan-out is recovered by clients through seq.
  const publish = (channel: string, frame: string) =>
    realtime.publish(channel, frame).catch((err) => log.error({ err, channel }, 'realtime publish failed'));
  const toRoom = (roomId: string, type: string, body: Record<string, unknown>) => publish(roomChannel(roomId), encodeFrame(type, body));
  return {
    message: (m: MessageRow) => toRoom(m.roomId, 'message', toMessageWire(m)),
    edited: (m: MessageRow) => toRoom(m.roomId, 'message.edited', toMessageWire(m)),
    deleted: (m: MessageRow) => toRoom(m.roomId, 'message.deleted', toMessageWire(m)),
    typing: (room: string, userId: string) => toRoom(room, 'typing', { room, userId }),
    read: (room: string, userId: string, upToId: string, seq: number) => toRoom(room, 'read', { room, userId, upToId, seq }),
    presenceJoin: (room: string, userId: string, displayName: string | null) =>
      toRoom(room, 'presence.join', { room, userId, displayName }),
    presenceLeave: (room: string, userId: string) => toRoom(room, 'presence.leave', { room, userId }),
    memberRemoved: (room: string, userId: string) => toRoom(room, MEMBER_REMOVED, { room, userId }),
    kick: (userId: string, reason: string) => publish(USERS_CHANNEL, encodeFrame(KICK, { userId, reason })),
  };
}
