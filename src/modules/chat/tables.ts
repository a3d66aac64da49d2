/** Tables of the chat module, in its own Postgres schema. User ids come from identity; no foreign keys cross modules. */
import { sql } from 'drizzle-orm';
import { bigint, check, index, pgSchema, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

export const chatSchema = pgSchema('chat');

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
// Sequence numbers stay far below 2^53, so JS numbers are exact.
const seq = (name: string) => bigint(name, { mode: 'number' });

export const ROOM_KINDS = ['public', 'private', 'direct'] as const;
export type RoomKind = (typeof ROOM_KINDS)[number];

export const rooms = chatSchema.table(
  'rooms',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind').$type<RoomKind>().notNull(),
    /** Null for direct rooms: clients show the other person's name. */
    name: text('name'),
    /** Who created the room; for private rooms the only one who may invite or remove members. */
    ownerId: uuid('owner_id'),
    /** Direct rooms only: the two user ids, sorted and joined, so a pair has one room. */
    directKey: text('direct_key').unique('rooms_direct_key_unique'),
    /** The seq of the newest message; bumped in the transaction that inserts it. */
    lastSeq: seq('last_seq').notNull().default(0),
    createdAt: at('created_at').notNull(),
  },
  (t) => [
    index('rooms_kind_idx').on(t.kind, t.id),
    check('rooms_kind_check', sql`${t.kind} in ('public', 'private', 'direct')`),
    check('rooms_direct_key_check', sql`(${t.kind} = 'direct') = (${t.directKey} is not null)`),
  ],
);

export const members = chatSchema.table(
  'members',
  {
    roomId: uuid('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    joinedAt: at('joined_at').notNull(),
    /** The highest seq the member has reported read. */
    readSeq: seq('read_seq').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] }), index('members_user_idx').on(t.userId, t.roomId)],
);

export const messages = chatSchema.table(
  'messages',
  {
    id: uuid('id').primaryKey(),
    roomId: uuid('room_id')
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    seq: seq('seq').notNull(),
    authorId: uuid('author_id').notNull(),
    /** The sender's id for the message, so a resent frame is stored once. */
    clientId: text('client_id').notNull(),
    /** Null once deleted (the row stays as a tombstone so seq has no holes). */
    text: text('text'),
    createdAt: at('created_at').notNull(),
    editedAt: at('edited_at'),
    deletedAt: at('deleted_at'),
  },
  (t) => [unique('messages_room_seq_unique').on(t.roomId, t.seq), unique('messages_author_client_unique').on(t.authorId, t.clientId)],
);

export type RoomRow = typeof rooms.$inferSelect;
export type MemberRow = typeof members.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
