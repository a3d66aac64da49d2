/**
 * SQL of the chat module. Membership is part of the WHERE clause of every read or write of a
 * room's content, so a non-member's request behaves like one for a missing room. Plain
 * objects out; every function runs on the database or on the transaction it was given.
 */
import { and, asc, count, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { anyUuid } from '../../platform/db/any-of.js';
import { type Executor, rowsOf } from '../../platform/db/database.js';
import { type MemberRow, type MessageRow, members, messages, type RoomRow, rooms } from './tables.js';

export type NewRoom = typeof rooms.$inferInsert;

/** Where a history page starts: strictly before or strictly after a seq. */
export type HistoryFrom = { before: number } | { after: number };

/** The chat repository over `db`, with `transaction` to run several calls atomically. */
export type ChatRepo = ReturnType<typeof queries> & {
  /** Runs `work` in one transaction; every query inside must use the repo it is given. */
  transaction<T>(work: (repo: ChatRepo) => Promise<T>): Promise<T>;
};

export function createChatRepo(db: Executor): ChatRepo {
  return { ...queries(db), transaction: (work) => db.transaction((tx) => work(createChatRepo(tx))) };
}

/** First key of the module's advisory locks (the second is the hashed user id). */
const LOCK_NAMESPACE = 0xc4a7;

function queries(db: Executor) {
  return {
    /**
     * Serialises the transactions that lock the same `key` until they end (room creation by one
     * owner, the seed of a public room), so what they count or look up holds until they commit.
     */
    async lock(key: string): Promise<void> {
      await db.execute(sql`select pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${key}))`);
    },

    async findPublicRoomByName(name: string): Promise<RoomRow | null> {
      const [row] = await db
        .select()
        .from(rooms)
        .where(and(eq(rooms.kind, 'public'), eq(rooms.name, name)))
        .limit(1);
      return row ?? null;
    },

    /** Those of `userIds` who are members of the room. */
    async membersAmong(roomId: string, userIds: string[]): Promise<string[]> {
      if (userIds.length === 0) return [];
      const rows = await db
        .select({ userId: members.userId })
        .from(members)
        .where(and(eq(members.roomId, roomId), anyUuid(members.userId, userIds)));
      return rows.map((r) => r.userId);
    },

    async countOwnedPrivateRooms(ownerId: string): Promise<number> {
      const [row] = await db
        .select({ n: count() })
        .from(rooms)
        .where(and(eq(rooms.ownerId, ownerId), eq(rooms.kind, 'private')));
      return row?.n ?? 0;
    },

    async insertRoom(room: NewRoom, memberIds: string[], at: Date): Promise<RoomRow> {
      const [row] = await db.insert(rooms).values(room).returning();
      if (memberIds.length) await db.insert(members).values(memberIds.map((userId) => ({ roomId: room.id, userId, joinedAt: at })));
      return row as RoomRow;
    },

    async findRoom(id: string): Promise<RoomRow | null> {
      const [row] = await db.select().from(rooms).where(eq(rooms.id, id));
      return row ?? null;
    },

    async findDirectRoom(directKey: string): Promise<RoomRow | null> {
      const [row] = await db.select().from(rooms).where(eq(rooms.directKey, directKey));
      return row ?? null;
    },

    /** The room, only when `userId` is a member of it. */
    async findRoomOfMember(roomId: string, userId: string): Promise<(RoomRow & { readSeq: number }) | null> {
      const [row] = await db
        .select({ room: rooms, readSeq: members.readSeq })
        .from(rooms)
        .innerJoin(members, and(eq(members.roomId, rooms.id), eq(members.userId, userId)))
        .where(eq(rooms.id, roomId));
      return row ? { ...row.room, readSeq: row.readSeq } : null;
    },

    async isMember(roomId: string, userId: string): Promise<boolean> {
      const [row] = await db
        .select({ one: sql<number>`1` })
        .from(members)
        .where(and(eq(members.roomId, roomId), eq(members.userId, userId)));
      return row !== undefined;
    },

    /** Rooms `userId` belongs to, oldest first, after the room id `afterId`. */
    async listRoomsOfMember(userId: string, limit: number, afterId?: string): Promise<RoomRow[]> {
      const rows = await db
        .select({ room: rooms })
        .from(members)
        .innerJoin(rooms, eq(rooms.id, members.roomId))
        .where(and(eq(members.userId, userId), afterId ? gt(members.roomId, afterId) : undefined))
        .orderBy(asc(members.roomId))
        .limit(limit);
      return rows.map((r) => r.room);
    },

    async listPublicRooms(limit: number, afterId?: string): Promise<RoomRow[]> {
      return db
        .select()
        .from(rooms)
        .where(and(eq(rooms.kind, 'public'), afterId ? gt(rooms.id, afterId) : undefined))
        .orderBy(asc(rooms.id))
        .limit(limit);
    },

    /** Adds a member; false when already one. */
    async addMember(roomId: string, userId: string, at: Date): Promise<boolean> {
      const rows = await db
        .insert(members)
        .values({ roomId, userId, joinedAt: at })
        .onConflictDoNothing()
        .returning({ userId: members.userId });
      return rows.length > 0;
    },

    /** Removes a member; false when not one. */
    async removeMember(roomId: string, userId: string): Promise<boolean> {
      const rows = await db
        .delete(members)
        .where(and(eq(members.roomId, roomId), eq(members.userId, userId)))
        .returning({ userId: members.userId });
      return rows.length > 0;
    },

    async listMembers(roomId: string, limit: number, afterUserId?: string): Promise<MemberRow[]> {
      return db
        .select()
        .from(members)
        .where(and(eq(members.roomId, roomId), afterUserId ? gt(members.userId, afterUserId) : undefined))
        .orderBy(asc(members.userId))
        .limit(limit);
    },

    /** Every room a user is a member of (to drop them when the account is deleted). */
    async removeUserEverywhere(userId: string): Promise<string[]> {
      const rows = await db.delete(members).where(eq(members.userId, userId)).returning({ roomId: members.roomId });
      return rows.map((r) => r.roomId);
    },

    async findMessageByClientId(authorId: string, clientId: string): Promise<MessageRow | null> {
      const [row] = await db
        .select()
        .from(messages)
        .where(and(eq(messages.authorId, authorId), eq(messages.clientId, clientId)));
      return row ?? null;
    },

    /**
     * Stores a message in one statement (one round trip, atomic): unless (author, clientId) is
     * stored already, takes the room's next seq, only if the author is a member, and inserts.
     * The row lock of the UPDATE serialises writers of one room until commit, so seqs commit in
     * order. Answers `stored`, `duplicate` (an earlier frame stored it) or `not-member`.
     */
    async insertMessageWithNextSeq(m: { id: string; roomId: string; authorId: string; clientId: string; text: string; createdAt: Date }) {
      const result = await db.execute(sql`
        with existing as (
          select seq from chat.messages where author_id = ${m.authorId} and client_id = ${m.clientId}
        ), bump as (
          update chat.rooms set last_seq = last_seq + 1
          where id = ${m.roomId}
            and not exists (select 1 from existing)
            and exists (select 1 from chat.members where room_id = ${m.roomId} and user_id = ${m.authorId})
          returning last_seq
        ), inserted as (
          insert into chat.messages (id, room_id, seq, author_id, client_id, text, created_at)
          select ${m.id}, ${m.roomId}, last_seq, ${m.authorId}, ${m.clientId}, ${m.text}, ${m.createdAt.toISOString()}::timestamptz
          from bump
          returning seq
        )
        select seq, false as duplicate from inserted
        union all
        select seq, true as duplicate from existing`);
      const [row] = rowsOf<{ seq: string | number; duplicate: boolean }>(result);
      if (!row) return { outcome: 'not-member' as const };
      if (row.duplicate) return { outcome: 'duplicate' as const };
      const message: MessageRow = { ...m, seq: Number(row.seq), editedAt: null, deletedAt: null };
      return { outcome: 'stored' as const, message };
    },

    /**
     * Stores a batch of messages for one room in one statement (group commit): the same rules as
     * `insertMessageWithNextSeq` per message, seqs in batch order. Returns the stored ones by
     * their position in `batch`; the others were duplicates or their author is not a member.
     */
    async insertMessagesWithNextSeqs(
      roomId: string,
      batch: { id: string; authorId: string; clientId: string; text: string; createdAt: Date }[],
    ): Promise<Map<number, number>> {
      const input = JSON.stringify(
        batch.map((m, ord) => ({
          ord,
          id: m.id,
          author_id: m.authorId,
          client_id: m.clientId,
          text: m.text,
          created_at: m.createdAt.toISOString(),
        })),
      );
      const result = await db.execute(sql`
        with input as (
          select * from jsonb_to_recordset(${input}::jsonb)
            as i(ord int, id uuid, author_id uuid, client_id text, text text, created_at timestamptz)
        ), allowed as (
          select i.* from input i
          where not exists (select 1 from chat.messages m where m.author_id = i.author_id and m.client_id = i.client_id)
            and not exists (select 1 from input j where j.author_id = i.author_id and j.client_id = i.client_id and j.ord < i.ord)
            and exists (select 1 from chat.members mb where mb.room_id = ${roomId} and mb.user_id = i.author_id)
        ), numbered as (
          select a.*, row_number() over (order by a.ord) as k, count(*) over () as n from allowed a
        ), bump as (
          update chat.rooms set last_seq = last_seq + (select count(*) from allowed)
          where id = ${roomId} and exists (select 1 from allowed)
          returning last_seq
        ), inserted as (
          insert into chat.messages (id, room_id, seq, author_id, client_id, text, created_at)
          select nb.id, ${roomId}, b.last_seq - nb.n + nb.k, nb.author_id, nb.client_id, nb.text, nb.created_at
          from numbered nb cross join bump b
          returning id, seq
        )
        select i.ord, x.seq from inserted x join input i on i.id = x.id`);
      const rows = rowsOf<{ ord: number; seq: string | number }>(result);
      return new Map(rows.map((r) => [Number(r.ord), Number(r.seq)]));
    },

    async findMessage(roomId: string, id: string): Promise<MessageRow | null> {
      const [row] = await db
        .select()
        .from(messages)
        .where(and(eq(messages.roomId, roomId), eq(messages.id, id)));
      return row ?? null;
    },

    /** A page of history: newest first before a seq, oldest first after one. */
    async history(roomId: string, from: HistoryFrom, limit: number): Promise<MessageRow[]> {
      if ('after' in from) {
        return db
          .select()
          .from(messages)
          .where(and(eq(messages.roomId, roomId), gt(messages.seq, from.after)))
          .orderBy(asc(messages.seq))
          .limit(limit);
      }
      return db
        .select()
        .from(messages)
        .where(and(eq(messages.roomId, roomId), lt(messages.seq, from.before)))
        .orderBy(desc(messages.seq))
        .limit(limit);
    },

    /** Changes the text of a live message of `authorId`; null when there is none. */
    async editMessage(roomId: string, id: string, authorId: string, text: string, at: Date): Promise<MessageRow | null> {
      const [row] = await db
        .update(messages)
        .set({ text, editedAt: at })
        .where(and(eq(messages.roomId, roomId), eq(messages.id, id), eq(messages.authorId, authorId), isNull(messages.deletedAt)))
        .returning();
      return row ?? null;
    },

    /** Turns a live message into a tombstone; `authorId` undefined lets any author's go (admins). */
    async deleteMessage(roomId: string, id: string, authorId: string | undefined, at: Date): Promise<MessageRow | null> {
      const [row] = await db
        .update(messages)
        .set({ text: null, deletedAt: at })
        .where(
          and(
            eq(messages.roomId, roomId),
            eq(messages.id, id),
            authorId ? eq(messages.authorId, authorId) : undefined,
            isNull(messages.deletedAt),
          ),
        )
        .returning();
      return row ?? null;
    },

    /** Moves the member's read marker forward (never back); false when not a member. */
    async markRead(roomId: string, userId: string, seq: number): Promise<boolean> {
      const rows = await db
        .update(members)
        .set({ readSeq: sql`greatest(${members.readSeq}, ${seq})` })
        .where(and(eq(members.roomId, roomId), eq(members.userId, userId)))
        .returning({ userId: members.userId });
      return rows.length > 0;
    },
  };
}
