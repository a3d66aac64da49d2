/**
 * SQL of the todos module. Every query of user data has the owner id in its WHERE clause, so a
 * foreign id behaves exactly like a missing one. Plain objects out; every function runs on the
 * database or on the transaction it was given.
 */
import { and, asc, count, desc, eq, gte, ilike, inArray, isNull, lt, ne, or, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { GAP } from './positions.js';
import { deletedTodos, type TodoListRow, type TodoRow, todoLists, todos } from './tables.js';

export type NewTodo = typeof todos.$inferInsert;
export type NewTodoList = typeof todoLists.$inferInsert;
export type TodoPatch = Partial<
  Pick<TodoRow, 'listId' | 'title' | 'notes' | 'completed' | 'completedAt' | 'dueAt' | 'priority' | 'tags' | 'position'>
>;

/** Advisory lock namespace of this module (first key of the two-key form); the second is the owner. */
const LOCK_NAMESPACE = 0x70d0;

/** One sort of GET /todos with its keyset: the values of the last row seen. */
export type TodoSortKey =
  | { by: 'position'; dir: 'asc' | 'desc'; after?: { listId: string; position: number; id: string } }
  | { by: 'dueAt'; dir: 'asc' | 'desc'; after?: { dueAt: string | null; id: string } }
  | { by: 'priority'; dir: 'asc' | 'desc'; after?: { priority: number; id: string } }
  | { by: 'createdAt'; dir: 'asc' | 'desc'; after?: { createdAt: string; id: string } };

export interface TodoFilter {
  listId?: string;
  completed?: boolean;
  dueAfter?: Date;
  dueBefore?: Date;
  /** Compared with `now`. */
  overdue?: boolean;
  tag?: string;
  q?: string;
}

/** A position in the delta-sync change stream: changes are ordered by (time, id). */
export interface ChangeKey {
  at: string;
  id: string;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The todos repository over `db`, with `transaction` to run several calls atomically. */
export type TodosRepo = ReturnType<typeof queries> & {
  /** Runs `work` in one transaction; every query inside must use the repo it is given. */
  transaction<T>(work: (repo: TodosRepo) => Promise<T>): Promise<T>;
};

export function createTodosRepo(db: Executor): TodosRepo {
  return { ...queries(db), transaction: (work) => db.transaction((tx) => work(createTodosRepo(tx))) };
}

function todoOrder(key: TodoSortKey): SQL[] {
  const d = key.dir === 'asc' ? asc : desc;
  switch (key.by) {
    case 'position':
      return [d(todos.listId), d(todos.position), d(todos.id)];
    case 'dueAt':
      // Undated todos last in both directions: "what is due next/last" never starts with them.
      return [key.dir === 'asc' ? sql`${todos.dueAt} asc nulls last` : sql`${todos.dueAt} desc nulls last`, d(todos.id)];
    case 'priority':
      return [d(todos.priority), d(todos.id)];
    case 'createdAt':
      return [d(todos.createdAt), d(todos.id)];
  }
}

/** Rows strictly after the cursor in the sort order; ties are broken by id, so no row is skipped or repeated. */
function todoKeyset(key: TodoSortKey): SQL | undefined {
  const cmp = key.dir === 'asc' ? sql.raw('>') : sql.raw('<');
  if (!key.after) return undefined;
  switch (key.by) {
    case 'position': {
      const a = key.after;
      return sql`(${todos.listId}, ${todos.position}, ${todos.id}) ${cmp} (${a.listId}::uuid, ${a.position}::bigint, ${a.id}::uuid)`;
    }
    case 'priority':
      return sql`(${todos.priority}, ${todos.id}) ${cmp} (${key.after.priority}::smallint, ${key.after.id}::uuid)`;
    case 'createdAt':
      return sql`(${todos.createdAt}, ${todos.id}) ${cmp} (${key.after.createdAt}::timestamptz, ${key.after.id}::uuid)`;
    case 'dueAt': {
      const { dueAt, id } = key.after;
      // NULLs sort last: after a dated row come later dates, then every undated row.
      if (dueAt === null) return sql`(${todos.dueAt} is null and ${todos.id} ${cmp} ${id}::uuid)`;
      return sql`((${todos.dueAt}, ${todos.id}) ${cmp} (${dueAt}::timestamptz, ${id}::uuid) or ${todos.dueAt} is null)`;
    }
  }
}

function todoFilter(ownerId: string, f: TodoFilter, now: Date): SQL | undefined {
  const where: (SQL | undefined)[] = [eq(todos.ownerId, ownerId)];
  if (f.listId) where.push(eq(todos.listId, f.listId));
  if (f.completed !== undefined) where.push(eq(todos.completed, f.completed));
  if (f.dueAfter) where.push(gte(todos.dueAt, f.dueAfter));
  if (f.dueBefore) where.push(lt(todos.dueAt, f.dueBefore));
  if (f.overdue === true) where.push(and(eq(todos.completed, false), lt(todos.dueAt, now)));
  if (f.overdue === false) where.push(or(eq(todos.completed, true), isNull(todos.dueAt), gte(todos.dueAt, now)));
  if (f.tag) where.push(sql`${todos.tags} @> array[${f.tag}]::text[]`);
  if (f.q) {
    // No trigram index: the scan is bounded by the owner's todos (TODO_MAX_TODOS_PER_USER).
    const pattern = `%${escapeLike(f.q)}%`;
    where.push(or(ilike(todos.title, pattern), ilike(todos.notes, pattern)));
  }
  return and(...where);
}

function queries(db: Executor) {
  return {
    /**
     * Serialises the writes of one owner until the transaction ends: limits are counted and
     * timestamps taken under it, so counts hold under concurrency and delta sync misses nothing.
     */
    async lockOwner(ownerId: string): Promise<void> {
      await db.execute(sql`select pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${ownerId}))`);
    },

    /** Waits for the owner's in-flight writes to commit, without blocking other readers. */
    async lockOwnerShared(ownerId: string): Promise<void> {
      await db.execute(sql`select pg_advisory_xact_lock_shared(${LOCK_NAMESPACE}, hashtext(${ownerId}))`);
    },

    // --- lists ---

    async countLists(ownerId: string): Promise<number> {
      const [row] = await db.select({ n: count() }).from(todoLists).where(eq(todoLists.ownerId, ownerId));
      return row?.n ?? 0;
    },

    async lastListPosition(ownerId: string): Promise<number | null> {
      const [row] = await db
        .select({ position: todoLists.position })
        .from(todoLists)
        .where(eq(todoLists.ownerId, ownerId))
        .orderBy(desc(todoLists.position))
        .limit(1);
      return row?.position ?? null;
    },

    async insertList(list: NewTodoList): Promise<TodoListRow> {
      const [row] = await db.insert(todoLists).values(list).returning();
      return row as TodoListRow;
    },

    async findList(ownerId: string, id: string): Promise<TodoListRow | undefined> {
      const [row] = await db
        .select()
        .from(todoLists)
        .where(and(eq(todoLists.id, id), eq(todoLists.ownerId, ownerId)))
        .limit(1);
      return row;
    },

    async listLists(ownerId: string, after: { position: number; id: string } | undefined, limit: number): Promise<TodoListRow[]> {
      return db
        .select()
        .from(todoLists)
        .where(
          and(
            eq(todoLists.ownerId, ownerId),
            after ? sql`(${todoLists.position}, ${todoLists.id}) > (${after.position}::bigint, ${after.id}::uuid)` : undefined,
          ),
        )
        .orderBy(asc(todoLists.position), asc(todoLists.id))
        .limit(limit);
    },

    async updateList(
      ownerId: string,
      id: string,
      patch: Partial<Pick<TodoListRow, 'name' | 'position'>>,
      now: Date,
    ): Promise<TodoListRow | undefined> {
      const [row] = await db
        .update(todoLists)
        .set({ ...patch, updatedAt: now, version: sql`${todoLists.version} + 1` })
        .where(and(eq(todoLists.id, id), eq(todoLists.ownerId, ownerId)))
        .returning();
      return row;
    },

    async deleteList(ownerId: string, id: string): Promise<boolean> {
      const rows = await db
        .delete(todoLists)
        .where(and(eq(todoLists.id, id), eq(todoLists.ownerId, ownerId)))
        .returning({ id: todoLists.id });
      return rows.length === 1;
    },

    /** The list right before (`side` before) or after the anchor, skipping `exclude`. */
    async neighbourList(
      ownerId: string,
      anchor: { position: number; id: string },
      side: 'before' | 'after',
      exclude: string,
    ): Promise<{ position: number } | undefined> {
      const cmp = side === 'after' ? sql.raw('>') : sql.raw('<');
      const d = side === 'after' ? asc : desc;
      const [row] = await db
        .select({ position: todoLists.position })
        .from(todoLists)
        .where(
          and(
            eq(todoLists.ownerId, ownerId),
            ne(todoLists.id, exclude),
            sql`(${todoLists.position}, ${todoLists.id}) ${cmp} (${anchor.position}::bigint, ${anchor.id}::uuid)`,
          ),
        )
        .orderBy(d(todoLists.position), d(todoLists.id))
        .limit(1);
      return row;
    },

    /** Spreads the owner's lists GAP apart again, keeping their order. */
    async renumberLists(ownerId: string, now: Date): Promise<void> {
      await db.execute(sql`
        update todos.lists l set position = r.rn * ${GAP}::bigint, updated_at = ${now.toISOString()}::timestamptz, version = l.version + 1
        from (select id, row_number() over (order by position, id) as rn from todos.lists where owner_id = ${ownerId}::uuid) r
        where l.id = r.id and l.owner_id = ${ownerId}::uuid and l.position <> r.rn * ${GAP}::bigint`);
    },

    // --- todos ---

    async countTodos(ownerId: string): Promise<number> {
      const [row] = await db.select({ n: count() }).from(todos).where(eq(todos.ownerId, ownerId));
      return row?.n ?? 0;
    },

    async lastPosition(ownerId: string, listId: string): Promise<number | null> {
      const [row] = await db
        .select({ position: todos.position })
        .from(todos)
        .where(and(eq(todos.ownerId, ownerId), eq(todos.listId, listId)))
        .orderBy(desc(todos.position))
        .limit(1);
      return row?.position ?? null;
    },

    async insertTodo(todo: NewTodo): Promise<TodoRow> {
      const [row] = await db.insert(todos).values(todo).returning();
      return row as TodoRow;
    },

    async findTodo(ownerId: string, id: string): Promise<TodoRow | undefined> {
      const [row] = await db
        .select()
        .from(todos)
        .where(and(eq(todos.id, id), eq(todos.ownerId, ownerId)))
        .limit(1);
      return row;
    },

    async findTodos(ownerId: string, ids: string[]): Promise<TodoRow[]> {
      return db
        .select()
        .from(todos)
        .where(and(eq(todos.ownerId, ownerId), inArray(todos.id, ids)));
    },

    /** Applies `patch` when the todo is the owner's; bumps version and updatedAt. */
    async updateTodo(ownerId: string, id: string, patch: TodoPatch, now: Date): Promise<TodoRow | undefined> {
      const [row] = await db
        .update(todos)
        .set({ ...patch, updatedAt: now, version: sql`${todos.version} + 1` })
        .where(and(eq(todos.id, id), eq(todos.ownerId, ownerId)))
        .returning();
      return row;
    },

    /** Sets `completed` on those of `ids` not already in that state; returns how many changed. */
    async setCompleted(ownerId: string, ids: string[], completed: boolean, now: Date): Promise<number> {
      const rows = await db
        .update(todos)
        .set({ completed, completedAt: completed ? now : null, updatedAt: now, version: sql`${todos.version} + 1` })
        .where(and(eq(todos.ownerId, ownerId), inArray(todos.id, ids), ne(todos.completed, completed)))
        .returning({ id: todos.id });
      return rows.length;
    },

    /** Deletes the owner's todos among `ids` (or all of `listId`) and leaves a tombstone for each. */
    async deleteTodos(ownerId: string, which: { ids: string[] } | { listId: string }, now: Date): Promise<string[]> {
      const rows = await db
        .delete(todos)
        .where(and(eq(todos.ownerId, ownerId), 'ids' in which ? inArray(todos.id, which.ids) : eq(todos.listId, which.listId)))
        .returning({ id: todos.id });
      if (rows.length) {
        await db
          .insert(deletedTodos)
          .values(rows.map((r) => ({ id: r.id, ownerId, deletedAt: now })))
          .onConflictDoNothing();
      }
      return rows.map((r) => r.id);
    },

    async listTodos(ownerId: string, filter: TodoFilter, sort: TodoSortKey, limit: number, now: Date): Promise<TodoRow[]> {
      return db
        .select()
        .from(todos)
        .where(and(todoFilter(ownerId, filter, now), todoKeyset(sort)))
        .orderBy(...todoOrder(sort))
        .limit(limit);
    },

    /** The todo right before or after the anchor in its list, skipping `exclude` (the one being moved). */
    async neighbourTodo(
      ownerId: string,
      anchor: { listId: string; position: number; id: string },
      side: 'before' | 'after',
      exclude: string,
    ): Promise<{ position: number } | undefined> {
      const cmp = side === 'after' ? sql.raw('>') : sql.raw('<');
      const d = side === 'after' ? asc : desc;
      const [row] = await db
        .select({ position: todos.position })
        .from(todos)
        .where(
          and(
            eq(todos.ownerId, ownerId),
            eq(todos.listId, anchor.listId),
            ne(todos.id, exclude),
            sql`(${todos.position}, ${todos.id}) ${cmp} (${anchor.position}::bigint, ${anchor.id}::uuid)`,
          ),
        )
        .orderBy(d(todos.position), d(todos.id))
        .limit(1);
      return row;
    },

    /** Spreads one list's todos GAP apart again, keeping their order; changed rows count as updated. */
    async renumberTodos(ownerId: string, listId: string, now: Date): Promise<void> {
      await db.execute(sql`
        update todos.todos t set position = r.rn * ${GAP}::bigint, updated_at = ${now.toISOString()}::timestamptz, version = t.version + 1
        from (
          select id, row_number() over (order by position, id) as rn
          from todos.todos where owner_id = ${ownerId}::uuid and list_id = ${listId}::uuid
        ) r
        where t.id = r.id and t.owner_id = ${ownerId}::uuid and t.position <> r.rn * ${GAP}::bigint`);
    },

    // --- delta sync ---

    /** Todos changed at or after `since` (first page) or after `after`, oldest change first. */
    async changedTodos(ownerId: string, from: { since: Date } | { after: ChangeKey }, limit: number): Promise<TodoRow[]> {
      return db
        .select()
        .from(todos)
        .where(
          and(
            eq(todos.ownerId, ownerId),
            'since' in from
              ? gte(todos.updatedAt, from.since)
              : sql`(${todos.updatedAt}, ${todos.id}) > (${from.after.at}::timestamptz, ${from.after.id}::uuid)`,
          ),
        )
        .orderBy(asc(todos.updatedAt), asc(todos.id))
        .limit(limit);
    },

    /** Tombstones in the same order and window as `changedTodos`. */
    async deletedSince(ownerId: string, from: { since: Date } | { after: ChangeKey }, limit: number) {
      return db
        .select({ id: deletedTodos.id, deletedAt: deletedTodos.deletedAt })
        .from(deletedTodos)
        .where(
          and(
            eq(deletedTodos.ownerId, ownerId),
            'since' in from
              ? gte(deletedTodos.deletedAt, from.since)
              : sql`(${deletedTodos.deletedAt}, ${deletedTodos.id}) > (${from.after.at}::timestamptz, ${from.after.id}::uuid)`,
          ),
        )
        .orderBy(asc(deletedTodos.deletedAt), asc(deletedTodos.id))
        .limit(limit);
    },

    /** Erases everything of one owner, tombstones included (the account is gone). */
    async deleteOwner(ownerId: string): Promise<void> {
      await db.delete(todos).where(eq(todos.ownerId, ownerId));
      await db.delete(todoLists).where(eq(todoLists.ownerId, ownerId));
      await db.delete(deletedTodos).where(eq(deletedTodos.ownerId, ownerId));
    },

    /** Forgets tombstones older than `before`; returns how many. */
    async purgeTombstones(before: Date): Promise<number> {
      const rows = await db.delete(deletedTodos).where(lt(deletedTodos.deletedAt, before)).returning({ id: deletedTodos.id });
      return rows.length;
    },
  };
}
