/** REST wire shapes of the chat API. They drive validation, serialization and the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import { API_PREFIX } from '../../platform/http/api-prefix.js';
import { PageQuery } from '../../platform/http/pagination.js';

const closed = { additionalProperties: false } as const;
const Id = Type.String({ format: 'uuid' });
const Instant = Type.String({ format: 'date-time' });
const NullableInstant = Type.Union([Instant, Type.Null()]);

/** Longest message text in UTF-8 bytes. */
export const MAX_TEXT_BYTES = 4096;

export const MessageText = Type.String({
  minLength: 1,
  maxLength: MAX_TEXT_BYTES,
  pattern: '\\S',
  description: `At most ${MAX_TEXT_BYTES} bytes of UTF-8`,
});

export const Room = Type.Object(
  {
    id: Id,
    kind: Type.Union([Type.Literal('public'), Type.Literal('private'), Type.Literal('direct')]),
    name: Type.Union([Type.String(), Type.Null()], { description: 'Null for direct rooms' }),
    ownerId: Type.Union([Id, Type.Null()], { description: 'Creator; may invite and remove members of a private room' }),
    lastSeq: Type.Integer({ description: 'seq of the newest message (0: none yet)' }),
    createdAt: Instant,
  },
  { $id: 'ChatRoom' },
);

export const Member = Type.Object(
  {
    userId: Id,
    displayName: Type.Union([Type.String(), Type.Null()], { description: 'The account’s name (null: the account is gone)' }),
    joinedAt: Instant,
    readSeq: Type.Integer({ description: 'Highest seq the member reported read' }),
  },
  { $id: 'ChatMember' },
);

/** A message as stored; also the body of the `message` WebSocket frame (plus `type`). */
export const MessageFields = {
  id: Id,
  room: Id,
  seq: Type.Integer({ minimum: 1, description: 'Position in the room; grows by one per message' }),
  author: Id,
  text: Type.Union([Type.String(), Type.Null()], { description: 'Null once deleted' }),
  clientId: Type.String({ description: 'The id the author gave the message (for deduplication)' }),
  createdAt: Instant,
  editedAt: NullableInstant,
  deletedAt: NullableInstant,
};
export const Message = Type.Object(MessageFields, { $id: 'ChatMessage' });

const page = (ref: string) => Type.Object({ items: Type.Array(Type.Ref(ref)), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export const RoomPage = page('ChatRoom');
export const MemberPage = page('ChatMember');
export const MessagePage = page('ChatMessage');

export const RoomParams = Type.Object({ roomId: Id }, closed);
export const MemberParams = Type.Object({ roomId: Id, userId: Id }, closed);
export const MessageParams = Type.Object({ roomId: Id, messageId: Id }, closed);

export const CreateRoomBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('public'), Type.Literal('private')], { description: 'public: admins only' }),
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', examples: ['general'] }),
  },
  closed,
);
export const DirectRoomBody = Type.Object({ userId: Id }, closed);
export const AddMemberBody = Type.Object({ userId: Id }, closed);
export const EditMessageBody = Type.Object({ text: MessageText }, closed);

export const ListQuery = Type.Object({ ...PageQuery }, closed);
export const HistoryQuery = Type.Object(
  {
    ...PageQuery,
    before: Type.Optional(Type.Integer({ minimum: 1, description: 'Messages with a smaller seq, newest first (the default)' })),
    after: Type.Optional(Type.Integer({ minimum: 0, description: 'Messages with a larger seq, oldest first (catching up)' })),
  },
  closed,
);

export const Ticket = Type.Object({
  ticket: Type.String({ description: `Pass as ?ticket= to ${API_PREFIX}/chat/ws; works once` }),
  expiresAt: Instant,
});
