/** Row -> wire mapping for REST bodies and WebSocket frames: the wire shape is a promise, the row shape is not. */
import type { MemberRow, MessageRow, RoomRow } from './tables.js';

export const toRoomWire = (r: RoomRow) => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  ownerId: r.ownerId,
  lastSeq: r.lastSeq,
  createdAt: r.createdAt.toISOString(),
});

export const toMemberWire = (m: MemberRow & { displayName: string | null }) => ({
  userId: m.userId,
  displayName: m.displayName,
  joinedAt: m.joinedAt.toISOString(),
  readSeq: m.readSeq,
});

export const toMessageWire = (m: MessageRow) => ({
  id: m.id,
  room: m.roomId,
  seq: m.seq,
  author: m.authorId,
  text: m.text,
  clientId: m.clientId,
  createdAt: m.createdAt.toISOString(),
  editedAt: m.editedAt?.toISOString() ?? null,
  deletedAt: m.deletedAt?.toISOString() ?? null,
});

/** The JSON text of a server frame: `{type, ...body}`. */
export const encodeFrame = (type: string, body: Record<string, unknown> = {}) => JSON.stringify({ type, ...body });
