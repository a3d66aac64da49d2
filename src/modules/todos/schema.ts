/** Wire shapes of the todos API. They drive validation, serialization and the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import { PageQuery } from '../../platform/http/pagination.js';

const closed = { additionalProperties: false } as const;
const Id = Type.String({ format: 'uuid' });
const Instant = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
/**
 * A nullable string for request bodies. One `type: [string, null]` instead of a union: with
 * Ajv's type coercion a union would turn `null` into "" in its string branch.
 */
const NullableInput = (options: { maxLength?: number; format?: string; description?: string }) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });

export const PRIORITIES = ['low', 'normal', 'high'] as const;
export type PriorityName = (typeof PRIORITIES)[number];
export const Priority = Type.Union([Type.Literal('low'), Type.Literal('normal'), Type.Literal('high')], {
  description: 'low, normal (default) or high',
});

export const ListName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', examples: ['Groceries'] });
export const Title = Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', examples: ['Buy milk'] });
export const Notes = NullableInput({ maxLength: 10_000 });
export const Tag = Type.String({ minLength: 1, maxLength: 50, pattern: '^[^,\\s][^,]*$', description: 'Stored trimmed and lower-cased' });
export const Tags = Type.Array(Tag, { maxItems: 20, description: 'Up to 20 tags; duplicates are merged' });

export const TodoList = Type.Object(
  {
    id: Id,
    name: Type.String(),
    position: Type.Integer({ description: 'Sort key among the owner lists; only its order is meaningful' }),
    createdAt: Instant,
    updatedAt: Instant,
    version: Type.Integer({ description: 'Grows by one on every change; part of the ETag' }),
  },
  { $id: 'TodoList' },
);

export const Todo = Type.Object(
  {
    id: Id,
    listId: Id,
    title: Type.String(),
    notes: Nullable(Type.String()),
    completed: Type.Boolean(),
    completedAt: Nullable(Instant),
    dueAt: Nullable(Instant),
    priority: Priority,
    tags: Type.Array(Type.String()),
    position: Type.Integer({ description: 'Sort key within its list; only its order is meaningful' }),
    createdAt: Instant,
    updatedAt: Instant,
    version: Type.Integer({ description: 'Grows by one on every change; part of the ETag' }),
  },
  { $id: 'Todo' },
);

export const IdParams = Type.Object({ id: Id }, closed);

export const CreateListBody = Type.Object({ name: ListName }, closed);
export const UpdateListBody = Type.Object({ name: ListName }, closed);
export const ListPage = Type.Object({ items: Type.Array(Type.Ref('TodoList')), nextCursor: Nullable(Type.String()) });
export const ListListsQuery = Type.Object({ ...PageQuery }, closed);

export const MoveListBody = Type.Object(
  {
    before: Type.Optional(Type.String({ format: 'uuid', description: 'Place the list right before this list' })),
    after: Type.Optional(Type.String({ format: 'uuid', description: 'Place the list right after this list' })),
  },
  { ...closed, minProperties: 1, maxProperties: 1 },
);

export const CreateTodoBody = Type.Object(
  {
    listId: Id,
    title: Title,
    notes: Type.Optional(Notes),
    completed: Type.Optional(Type.Boolean()),
    dueAt: Type.Optional(NullableInput({ format: 'date-time' })),
    priority: Type.Optional(Priority),
    tags: Type.Optional(Tags),
  },
  closed,
);

export const UpdateTodoBody = Type.Object(
  {
    listId: Type.Optional(Type.String({ format: 'uuid', description: 'Move to the end of another list of the caller' })),
    title: Type.Optional(Title),
    notes: Type.Optional(Notes),
    completed: Type.Optional(Type.Boolean()),
    dueAt: Type.Optional(NullableInput({ format: 'date-time' })),
    priority: Type.Optional(Priority),
    tags: Type.Optional(Tags),
  },
  { ...closed, minProperties: 1 },
);

export const MoveTodoBody = Type.Object(
  {
    before: Type.Optional(Type.String({ format: 'uuid', description: 'Place the todo right before this todo (in its list)' })),
    after: Type.Optional(Type.String({ format: 'uuid', description: 'Place the todo right after this todo (in its list)' })),
    listId: Type.Optional(
      Type.String({ format: 'uuid', description: 'Target list; alone, moves the todo to the end of it. With before/after it must match.' }),
    ),
  },
  { ...closed, minProperties: 1 },
);

export type BulkAction = 'complete' | 'reopen' | 'delete';
const BulkAction = Type.Union([Type.Literal('complete'), Type.Literal('reopen'), Type.Literal('delete')]);
export const BulkBody = Type.Object(
  {
    action: BulkAction,
    ids: Type.Array(Id, { minItems: 1, maxItems: 100, uniqueItems: true }),
  },
  closed,
);
export const BulkResult = Type.Object({
  action: BulkAction,
  changed: Type.Integer({ description: 'How many todos actually changed (already completed ones do not count)' }),
  items: Type.Array(Type.Ref('Todo'), { description: 'The todos after the action; empty for delete' }),
});

export type TodoSort = 'position' | '-position' | 'dueAt' | '-dueAt' | 'priority' | '-priority' | 'createdAt' | '-createdAt';

export const ListTodosQuery = Type.Object(
  {
    listId: Type.Optional(Type.String({ format: 'uuid', description: 'Only todos of this list' })),
    completed: Type.Optional(Type.Boolean()),
    dueAfter: Type.Optional(Type.String({ format: 'date-time', description: 'dueAt >= this instant' })),
    dueBefore: Type.Optional(Type.String({ format: 'date-time', description: 'dueAt < this instant' })),
    overdue: Type.Optional(Type.Boolean({ description: 'true: not completed and dueAt already passed; false: the others' })),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'Has this tag (case-insensitive)' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Substring of the title or notes (case-insensitive)' })),
    sort: Type.Optional(
      Type.Union(
        [
          Type.Literal('position'),
          Type.Literal('-position'),
          Type.Literal('dueAt'),
          Type.Literal('-dueAt'),
          Type.Literal('priority'),
          Type.Literal('-priority'),
          Type.Literal('createdAt'),
          Type.Literal('-createdAt'),
        ],
        {
          description:
            'Sort key, `-` for descending; ties broken by id. `position` orders by list, then position. dueAt puts todos without a due date last. Default position.',
        },
      ),
    ),
    updatedSince: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'Delta sync: every todo changed at or after this instant (inclusive) and tombstones of the deleted ones, ' +
          'oldest change first. Pass the serverTime of your previous sync. Cannot be combined with filters or sort. ' +
          'Older than TODO_SYNC_RETENTION: a full resync (reset: true). See the todos README.',
      }),
    ),
    ...PageQuery,
  },
  closed,
);

export const TodoPage = Type.Object({
  items: Type.Array(Type.Ref('Todo')),
  nextCursor: Nullable(Type.String()),
  deleted: Type.Optional(
    Type.Array(Type.Object({ id: Id, deletedAt: Instant }), { description: 'Delta sync only: todos deleted since updatedSince' }),
  ),
  serverTime: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'Delta sync only: pass it as updatedSince next time. The same on every page of one sync.',
    }),
  ),
  reset: Type.Optional(
    Type.Boolean({
      description: 'Delta sync only: true when updatedSince was too old; items is then everything, drop local todos not in it',
    }),
  ),
});

// --- Todo-Backend (todobackend.com) compatibility ---

export const BackendTodo = Type.Object(
  {
    id: Id,
    title: Type.String(),
    completed: Type.Boolean(),
    order: Type.Union([Type.Integer(), Type.Null()]),
    url: Type.String({ description: 'Absolute URL of this todo' }),
  },
  { $id: 'BackendTodo' },
);
const BackendTitle = Type.String({ maxLength: 500 });
const BackendOrder = Type.Integer({ minimum: -2_147_483_648, maximum: 2_147_483_647 });
export const BackendCreateBody = Type.Object(
  { title: BackendTitle, completed: Type.Optional(Type.Boolean()), order: Type.Optional(BackendOrder) },
  closed,
);
export const BackendPatchBody = Type.Object(
  { title: Type.Optional(BackendTitle), completed: Type.Optional(Type.Boolean()), order: Type.Optional(BackendOrder) },
  closed,
);
// Any string: an id that is not a UUID is simply not found (404), as the contract expects.
export const BackendIdParams = Type.Object({ id: Type.String({ maxLength: 100 }) }, closed);
