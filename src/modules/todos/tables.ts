/** Tables of the todos module, in its own Postgres schema. Every user-owned row carries owner_id. */
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, pgSchema, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const todosSchema = pgSchema('todos');

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
// Gapped positions stay far below 2^53 (see positions.ts), so JS numbers are exact.
const position = (name: string) => bigint(name, { mode: 'number' });

export const todoLists = todosSchema.table(
  'lists',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id').notNull(),
    name: text('name').notNull(),
    position: position('position').notNull(),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [index('lists_owner_position_idx').on(t.ownerId, t.position, t.id)],
);

export const todos = todosSchema.table(
  'todos',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id').notNull(),
    listId: uuid('list_id')
      .notNull()
      .references(() => todoLists.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    notes: text('notes'),
    completed: boolean('completed').notNull().default(false),
    completedAt: at('completed_at'),
    dueAt: at('due_at'),
    /** 0 low, 1 normal, 2 high: a number so sorting by priority is a plain index scan. */
    priority: smallint('priority').notNull().default(1),
    /** Trimmed, lower-cased, unique. */
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    position: position('position').notNull(),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    // One index per sort the API offers, each led by owner_id and ending in id (the tie-break).
    index('todos_owner_list_position_idx').on(t.ownerId, t.listId, t.position, t.id),
    index('todos_owner_due_idx').on(t.ownerId, t.dueAt, t.id),
    index('todos_owner_priority_idx').on(t.ownerId, t.priority, t.id),
    index('todos_owner_created_idx').on(t.ownerId, t.createdAt, t.id),
    index('todos_owner_updated_idx').on(t.ownerId, t.updatedAt, t.id),
    index('todos_owner_open_due_idx').on(t.ownerId, t.dueAt).where(sql`not ${t.completed}`),
    index('todos_tags_idx').using('gin', t.tags),
    check('todos_priority_check', sql`${t.priority} between 0 and 2`),
  ],
);

/** Tombstones of deleted todos, kept TODO_SYNC_RETENTION so offline clients learn of deletions. */
export const deletedTodos = todosSchema.table(
  'deleted_todos',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id').notNull(),
    deletedAt: at('deleted_at').notNull(),
  },
  (t) => [index('deleted_todos_owner_idx').on(t.ownerId, t.deletedAt, t.id), index('deleted_todos_deleted_idx').on(t.deletedAt)],
);

/** The anonymous Todo-Backend compatibility store: shared by everyone, capped, apart from users' todos. */
export const backendTodos = todosSchema.table(
  'backend_todos',
  {
    id: uuid('id').primaryKey(),
    title: text('title').notNull(),
    completed: boolean('completed').notNull().default(false),
    order: integer('order'),
    createdAt: at('created_at').notNull(),
  },
  (t) => [index('backend_todos_order_idx').on(t.order, t.id)],
);

export type TodoListRow = typeof todoLists.$inferSelect;
export type TodoRow = typeof todos.$inferSelect;
export type BackendTodoRow = typeof backendTodos.$inferSelect;
