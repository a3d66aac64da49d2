/** SQL of the anonymous Todo-Backend store: one shared, capped table, apart from users' todos. */
import { asc, count, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { type BackendTodoRow, backendTodos } from './tables.js';

/** Same namespace as repo.ts; the second key 0 is never an owner hash in practice and only costs a wait if it is. */
const LOCK_NAMESPACE = 0x70d0;
const STORE_LOCK = 0;

export type BackendTodoPatch = Partial<Pick<BackendTodoRow, 'title' | 'completed' | 'order'>>;

export type TodoBackendRepo = ReturnType<typeof queries> & {
  transaction<T>(work: (repo: TodoBackendRepo) => Promise<T>): Promise<T>;
};

export function createTodoBackendRepo(db: Executor): TodoBackendRepo {
  return { ...queries(db), transaction: (work) => db.transaction((tx) => work(createTodoBackendRepo(tx))) };
}

function queries(db: Executor) {
  return {
    /** Serialises inserts so the size cap holds under concurrency. */
    async lockStore(): Promise<void> {
      await db.execute(sql`select pg_advisory_xact_lock(${LOCK_NAMESPACE}, ${STORE_LOCK})`);
    },

    async count(): Promise<number> {
      const [row] = await db.select({ n: count() }).from(backendTodos);
      return row?.n ?? 0;
    },

    /** Every todo, by `order` (unordered ones last), then creation. The table is capped, so no paging. */
    async list(): Promise<BackendTodoRow[]> {
      return db
        .select()
        .from(backendTodos)
        .orderBy(sql`${backendTodos.order} asc nulls last`, asc(backendTodos.createdAt), asc(backendTodos.id));
    },

    async find(id: string): Promise<BackendTodoRow | undefined> {
      const [row] = await db.select().from(backendTodos).where(eq(backendTodos.id, id)).limit(1);
      return row;
    },

    async insert(todo: typeof backendTodos.$inferInsert): Promise<BackendTodoRow> {
      const [row] = await db.insert(backendTodos).values(todo).returning();
      return row as BackendTodoRow;
    },

    async update(id: string, patch: BackendTodoPatch): Promise<BackendTodoRow | undefined> {
      if (Object.keys(patch).length === 0) return this.find(id);
      const [row] = await db.update(backendTodos).set(patch).where(eq(backendTodos.id, id)).returning();
      return row;
    },

    async delete(id: string): Promise<boolean> {
      const rows = await db.delete(backendTodos).where(eq(backendTodos.id, id)).returning({ id: backendTodos.id });
      return rows.length === 1;
    },

    async deleteAll(): Promise<void> {
      await db.delete(backendTodos);
    },
  };
}
