/** The chat module's coded errors (REST problem details; WebSocket error frames reuse the codes). */
import { defineError } from '../../platform/http/errors.js';

export const RoomNotFound = defineError('CHAT_ROOM_NOT_FOUND', 404, 'Chat room not found');
export const MessageNotFound = defineError('CHAT_MESSAGE_NOT_FOUND', 404, 'Chat message not found');
export const NotRoomOwner = defineError('CHAT_NOT_ROOM_OWNER', 403, 'Only the room owner (or an admin) may do this');
export const PublicRoomAdminOnly = defineError('CHAT_PUBLIC_ROOM_ADMIN_ONLY', 403, 'Only administrators create public rooms');
export const RoomNotJoinable = defineError('CHAT_ROOM_NOT_JOINABLE', 422, 'Only public rooms can be joined freely');
export const DirectRoomFixed = defineError('CHAT_DIRECT_ROOM_FIXED', 422, 'A direct room always has its two people');
export const DirectWithSelf = defineError('CHAT_DIRECT_WITH_SELF', 422, 'A direct room needs another person');
export const RoomLimitReached = defineError('CHAT_ROOM_LIMIT_REACHED', 422, 'Too many private rooms');
export const TooManyConnections = defineError('CHAT_TOO_MANY_CONNECTIONS', 429, 'Too many chat connections');
export const HistoryDirection = defineError('CHAT_HISTORY_DIRECTION', 400, 'Give before or after, not both');

/** Codes of error frames that have no HTTP counterpart. */
export const FrameErrors = {
  badFrame: 'BAD_FRAME',
  notMember: 'NOT_A_MEMBER',
  textTooLong: 'TEXT_TOO_LONG',
  rateLimited: 'RATE_LIMITED',
  roomLimit: 'ROOM_LIMIT_REACHED',
  notSubscribed: 'NOT_SUBSCRIBED',
  internal: 'INTERNAL',
} as const;
export const ChatUserNotFound = defineError('CHAT_USER_NOT_FOUND', 404, 'No active account with this id');
