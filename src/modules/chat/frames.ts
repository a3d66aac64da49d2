/**
 * The WebSocket protocol: JSON text frames with a `type`. These schemas validate what clients
 * send and are the payloads of the AsyncAPI document, so the two cannot disagree.
 */
import { type Static, Type } from '@fastify/type-provider-typebox';
import { Compile } from 'typebox/compile';
import { MAX_TEXT_BYTES, MessageFields } from './schema.js';

const Id = Type.String({ format: 'uuid' });
const closed = { additionalProperties: false } as const;
const frame = <T extends string>(type: T) => ({ type: Type.Literal(type) });
const ClientId = Type.String({ minLength: 1, maxLength: 100, description: 'Unique per message of this author; a resend is stored once' });

// --- client -> server ---
export const SubscribeFrame = Type.Object(
  {
    ...frame('subscribe'),
    room: Id,
    lastSeq: Type.Optional(Type.Integer({ minimum: 0, description: 'The last seq seen; the missed messages after it are replayed' })),
  },
  { ...closed, title: 'subscribe' },
);
export const UnsubscribeFrame = Type.Object({ ...frame('unsubscribe'), room: Id }, { ...closed, title: 'unsubscribe' });
export const SendMessageFrame = Type.Object(
  {
    ...frame('message'),
    room: Id,
    // Bytes, not characters, are the limit: checked after parsing so the error can name the message.
    text: Type.String({ minLength: 1, pattern: '\\S', description: `At most ${MAX_TEXT_BYTES} bytes of UTF-8 (else TEXT_TOO_LONG)` }),
    clientId: ClientId,
  },
  { ...closed, title: 'message (send)' },
);
export const TypingFrame = Type.Object({ ...frame('typing'), room: Id }, { ...closed, title: 'typing (send)' });
export const ReadFrame = Type.Object(
  { ...frame('read'), room: Id, upToId: Id },
  { ...closed, title: 'read (send)', description: 'Marks every message up to this one read' },
);
export const ClientFrame = Type.Union([SubscribeFrame, UnsubscribeFrame, SendMessageFrame, TypingFrame, ReadFrame]);
export type ClientFrame = Static<typeof ClientFrame>;

const checkClientFrame = Compile(ClientFrame);
/** The frame when `value` is a valid client frame, else undefined. */
export const asClientFrame = (value: unknown): ClientFrame | undefined =>
  checkClientFrame.Check(value) ? (value as ClientFrame) : undefined;

// --- server -> client ---
export const WelcomeFrame = Type.Object({ ...frame('welcome'), userId: Id }, { title: 'welcome' });
export const SubscribedFrame = Type.Object(
  { ...frame('subscribed'), room: Id, lastSeq: Type.Integer({ description: 'seq of the newest message at subscribe time' }) },
  { title: 'subscribed' },
);
export const UnsubscribedFrame = Type.Object(
  { ...frame('unsubscribed'), room: Id, reason: Type.Union([Type.Literal('requested'), Type.Literal('removed')]) },
  { title: 'unsubscribed', description: 'removed: the caller is no longer a member and receives nothing more from the room' },
);
export const MessageFrame = Type.Object({ ...frame('message'), ...MessageFields }, { title: 'message' });
export const AckFrame = Type.Object(
  { ...frame('ack'), room: Id, clientId: Type.String(), id: Id, seq: Type.Integer() },
  { title: 'ack', description: 'The message is stored; sent once per accepted frame, also for a resent clientId' },
);
export const EditedFrame = Type.Object({ ...frame('message.edited'), ...MessageFields }, { title: 'message.edited' });
export const DeletedFrame = Type.Object({ ...frame('message.deleted'), ...MessageFields }, { title: 'message.deleted' });
const DisplayName = Type.String({ description: 'The account’s name, shown only to members of the room' });
export const PresenceFrame = Type.Object(
  {
    ...frame('presence'),
    room: Id,
    online: Type.Array(Id),
    users: Type.Array(Type.Object({ userId: Id, displayName: DisplayName }), { description: 'The online members with their names' }),
  },
  { title: 'presence', description: 'Everyone online in the room, sent after subscribe' },
);
export const PresenceJoinFrame = Type.Object(
  { ...frame('presence.join'), room: Id, userId: Id, displayName: Type.Union([DisplayName, Type.Null()]) },
  { title: 'presence.join' },
);
export const PresenceLeaveFrame = Type.Object({ ...frame('presence.leave'), room: Id, userId: Id }, { title: 'presence.leave' });
export const TypingEventFrame = Type.Object({ ...frame('typing'), room: Id, userId: Id }, { title: 'typing' });
export const ReadEventFrame = Type.Object({ ...frame('read'), room: Id, userId: Id, upToId: Id, seq: Type.Integer() }, { title: 'read' });
export const ReplayTruncatedFrame = Type.Object(
  {
    ...frame('replay.truncated'),
    room: Id,
    afterSeq: Type.Integer({ description: 'The lastSeq the client sent' }),
    lastSeq: Type.Integer(),
    history: Type.String({ description: 'REST URL to page through what was missed (oldest first)' }),
  },
  { title: 'replay.truncated', description: 'More than CHAT_REPLAY_LIMIT messages were missed: nothing is replayed' },
);
export const ErrorFrame = Type.Object(
  {
    ...frame('error'),
    code: Type.String(),
    message: Type.String(),
    room: Type.Optional(Id),
    clientId: Type.Optional(Type.String()),
    path: Type.Optional(Type.String({ description: 'JSON pointer of the offending field of the frame (e.g. /text)' })),
  },
  { title: 'error' },
);

export const SERVER_FRAMES = [
  WelcomeFrame,
  SubscribedFrame,
  UnsubscribedFrame,
  MessageFrame,
  AckFrame,
  EditedFrame,
  DeletedFrame,
  PresenceFrame,
  PresenceJoinFrame,
  PresenceLeaveFrame,
  TypingEventFrame,
  ReadEventFrame,
  ReplayTruncatedFrame,
  ErrorFrame,
];
export const CLIENT_FRAMES = [SubscribeFrame, UnsubscribeFrame, SendMessageFrame, TypingFrame, ReadFrame];

/** The subprotocol clients offer; a second offered subprotocol `bearer.<access token>` authenticates. */
export const SUBPROTOCOL = 'zaplecze.chat.v1';
export const BEARER_PROTOCOL_PREFIX = 'bearer.';
