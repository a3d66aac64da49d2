/**
 * Todo use cases: private lists and todos, reordering, bulk actions and delta sync.
 * Every write of one owner runs in a transaction holding that owner's advisory lock (see
 * repo.lockOwner) and takes its timestamp after acquiring it; that is what makes the per-user
 * limits hold under concurrency and lets delta sync promise it never misses a change.
 */

import { Type } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.js';
import { ValidationFailed } from '../../platform/http/errors.js';
import { assertIfMatch } from '../../platform/http/etag.js';
import { CursorPart, decodeOptional, defineCursor, InvalidCursor, toPage } from '../../platform/http/pagination.js';
import { newId } from '../../platform/ids.js';
import { TodoLimitReached, TodoListLimitReached, TodoListNotFound, TodoNotFound } from './errors.js';
import { positionBetween } from './positions.js';
import type { ChangeKey, TodoFilter, TodoPatch, TodoSortKey, TodosRepo } from './repo.js';
import type { BulkAction, PriorityName, TodoSort } from './schema.js';
import type { TodoListRow, TodoRow } from './tables.js';
import { etagOf, priorityFromWire } from './wire.js';

export interface TodosLimits {
  maxListsPerUser: number;
  maxTodosPerUser: number;
}

export interface TodosServiceDeps {
  repo: TodosRepo;
  clock: Clock;
  log: Logger;
  limits: TodosLimits;
  /** How long tombstones are kept; older `updatedSince` values get a full resync. */
  syncRetentionMs: number;
}

/**
 * serverTime is this far behind the clock, so instances whose clocks disagree by less than
 * this still never stamp a change earlier than a serverTime already handed out. The price: a
 * client may receive the changes of the last second twice.
 */
export const SYNC_CLOCK_SKEW_MS = 1000;

export interface TodoInput {
  listId: string;
  title: string;
  notes?: string | null;
  completed?: boolean;
  dueAt?: string | null;
  priority?: PriorityName;
  tags?: string[];
}
export type TodoChanges = Partial<TodoInput>;

export interface ListTodosQuery {
  listId?: string;
  completed?: boolean;
  dueAfter?: string;
  dueBefore?: string;
  overdue?: boolean;
  tag?: string;
  q?: string;
  sort?: TodoSort;
  updatedSince?: string;
  limit: number;
  cursor?: string;
}

export interface TodoPage {
  items: TodoRow[];
  nextCursor: string | null;
  deleted?: { id: string; deletedAt: Date }[];
  serverTime?: Date;
  reset?: boolean;
}

const sortTag = (by: string) => Type.Union([Type.Literal(by), Type.Literal(`-${by}`)]);
const { uuid, instant, int53 } = CursorPart;
// Each sort's key, bounded like its columns (positions are bigint, priority a smallint).
const todoCursor = defineCursor(
  Type.Union([
    Type.Tuple([sortTag('position'), uuid(), int53(), uuid()]),
    Type.Tuple([sortTag('dueAt'), Type.Union([instant(), Type.Null()]), uuid()]),
    Type.Tuple([sortTag('priority'), Type.Integer({ minimum: 0, maximum: 2 }), uuid()]),
    Type.Tuple([sortTag('createdAt'), instant(), uuid()]),
  ]),
);
type TodoCursorKey = ReturnType<typeof todoCursor.decode>;
const listCursor = defineCursor(Type.Tuple([int53(), uuid()]));
// ['sync', at, id, serverTime, reset]: serverTime travels so that every page of one sync shares it.
const syncCursor = defineCursor(
  Type.Tuple([Type.Literal('sync'), instant(), uuid(), instant(), Type.Union([Type.Literal(0), Type.Literal(1)])]),
);

/** Trimmed, lower-cased, without duplicates: the one form tags are stored and matched in. */
export const normaliseTags = (tags: string[]) => [...new Set(tags.map((t) => t.trim().toLowerCase()).filter(Boolean))];

const invalid = (path: string, message: string) => ValidationFailed(`${path} ${message}`, { errors: [{ path, message }] });

const badCursor = () => InvalidCursor('The cursor is not one this API issued for this sort; start again without it');

/** Decodes a GET /todos cursor for `sort` into its keyset, refusing cursors of another sort. */
function sortKeyOf(sort: TodoSort, cursor: string | undefined): TodoSortKey {
  const dir = sort.startsWith('-') ? 'desc' : 'asc';
  const by = sort.replace(/^-/, '') as TodoSortKey['by'];
  if (!cursor) return { by, dir } as TodoSortKey;
  const key = todoCursor.decode(cursor);
  if (key[0] !== sort) throw badCursor();
  switch (key[0].replace(/^-/, '')) {
    case 'position': {
      const [, listId, position, id] = key as [string, string, number, string];
      return { by, dir, after: { listId, position, id } } as TodoSortKey;
    }
    case 'dueAt': {
      const [, dueAt, id] = key as [string, string | null, string];
      return { by, dir, after: { dueAt, id } } as TodoSortKey;
    }
    case 'priority': {
      const [, priority, id] = key as [string, number, string];
      return { by, dir, after: { priority, id } } as TodoSortKey;
    }
    default: {
      const [, createdAt, id] = key as [string, string, string];
      return { by, dir, after: { createdAt, id } } as TodoSortKey;
    }
  }
}

function cursorKeyOf(sort: TodoSort, row: TodoRow): TodoCursorKey {
  switch (sort.replace(/^-/, '')) {
    case 'position':
      return [sort as 'position', row.listId, row.position, row.id];
    case 'dueAt':
      return [sort as 'dueAt', row.dueAt?.toISOString() ?? null, row.id];
    case 'priority':
      return [sort as 'priority', row.priority, row.id];
    default:
      return [sort as 'createdAt', row.createdAt.toISOString(), row.id];
  }
}

const FILTERS = ['listId', 'completed', 'dueAfter', 'dueBefore', 'overdue', 'tag', 'q', 'sort'] as const;

export function createTodosService(deps: TodosServiceDeps) {
  const { repo, clock, limits } = deps;

  /** Runs one owner's write under their lock, with the time read after the lock is held. */
  const write = <T>(ownerId: string, work: (tx: TodosRepo, now: Date) => Promise<T>) =>
    repo.transaction(async (tx) => {
      await tx.lockOwner(ownerId);
      return work(tx, clock.now());
    });

  const mustFindList = async (tx: TodosRepo, ownerId: string, id: string) => {
    const list = await tx.findList(ownerId, id);
    if (!list) throw TodoListNotFound(`No todo list ${id}`);
    return list;
  };
  const mustFindTodo = async (tx: TodosRepo, ownerId: string, id: string) => {
    const todo = await tx.findTodo(ownerId, id);
    if (!todo) throw TodoNotFound(`No todo ${id}`);
    return todo;
  };

  /** 412 unless If-Match names the current ETag; run under the owner's lock, so check and write are atomic. */
  const checkIfMatch = (row: { id: string; version: number }, ifMatch: string | undefined) => assertIfMatch(ifMatch, etagOf(row));

  /** A position at the end of `listId`, renumbering the list first if positions ran out of range. */
  async function endOfList(tx: TodosRepo, ownerId: string, listId: string, now: Date): Promise<number> {
    const position = positionBetween(await tx.lastPosition(ownerId, listId), null);
    if (position !== null) return position;
    await tx.renumberTodos(ownerId, listId, now);
    return positionBetween(await tx.lastPosition(ownerId, listId), null) as number;
  }

  return {
    // --- lists ---

    async listLists(ownerId: string, query: { limit: number; cursor?: string }) {
      const key = decodeOptional(listCursor, query.cursor);
      const after = key && { position: key[0], id: key[1] };
      const rows = await repo.listLists(ownerId, after, query.limit + 1);
      return toPage(
        rows,
        query.limit,
        listCursor,
        (r) => [r.position, r.id],
        (r) => r,
      );
    },

    async createList(ownerId: string, input: { name: string }): Promise<TodoListRow> {
      return write(ownerId, async (tx, now) => {
        const n = await tx.countLists(ownerId);
        if (n >= limits.maxListsPerUser) {
          throw TodoListLimitReached(`You already have ${n} todo lists; the limit is ${limits.maxListsPerUser}`, {
            limit: limits.maxListsPerUser,
          });
        }
        const position = positionBetween(await tx.lastListPosition(ownerId), null);
        if (position === null) await tx.renumberLists(ownerId, now);
        return tx.insertList({
          id: newId(),
          ownerId,
          name: input.name.trim(),
          position: position ?? (positionBetween(await tx.lastListPosition(ownerId), null) as number),
          createdAt: now,
          updatedAt: now,
        });
      });
    },

    async getList(ownerId: string, id: string): Promise<TodoListRow> {
      return mustFindList(repo, ownerId, id);
    },

    async renameList(ownerId: string, id: string, input: { name: string }, ifMatch?: string): Promise<TodoListRow> {
      return write(ownerId, async (tx, now) => {
        checkIfMatch(await mustFindList(tx, ownerId, id), ifMatch);
        return (await tx.updateList(ownerId, id, { name: input.name.trim() }, now)) as TodoListRow;
      });
    },

    /** Deletes the list and its todos (each leaves a tombstone for delta sync). */
    async deleteList(ownerId: string, id: string, ifMatch?: string): Promise<void> {
      await write(ownerId, async (tx, now) => {
        checkIfMatch(await mustFindList(tx, ownerId, id), ifMatch);
        await tx.deleteTodos(ownerId, { listId: id }, now);
        await tx.deleteList(ownerId, id);
      });
    },

    async moveList(ownerId: string, id: string, input: { before?: string; after?: string }): Promise<TodoListRow> {
      const side = input.before ? 'before' : 'after';
      const anchorId = (input.before ?? input.after) as string;
      if (anchorId === id) throw invalid(`/${side}`, 'cannot be the list itself');
      return write(ownerId, async (tx, now) => {
        await mustFindList(tx, ownerId, id);
        let anchor = await mustFindList(tx, ownerId, anchorId);
        const place = async () => {
          const n = await tx.neighbourList(ownerId, anchor, side, id);
          return side === 'after'
            ? positionBetween(anchor.position, n?.position ?? null)
            : positionBetween(n?.position ?? null, anchor.position);
        };
        let position = await place();
        if (position === null) {
          await tx.renumberLists(ownerId, now);
          anchor = await mustFindList(tx, ownerId, anchorId);
          position = (await place()) as number;
        }
        return (await tx.updateList(ownerId, id, { position }, now)) as TodoListRow;
      });
    },

    // --- todos ---

    async createTodo(ownerId: string, input: TodoInput): Promise<TodoRow> {
      return write(ownerId, async (tx, now) => {
        await mustFindList(tx, ownerId, input.listId);
        const n = await tx.countTodos(ownerId);
        if (n >= limits.maxTodosPerUser) {
          throw TodoLimitReached(`You already have ${n} todos; the limit is ${limits.maxTodosPerUser}`, {
            limit: limits.maxTodosPerUser,
          });
        }
        return tx.insertTodo({
          id: newId(),
          ownerId,
          listId: input.listId,
          title: input.title.trim(),
          notes: input.notes ?? null,
          completed: input.completed ?? false,
          completedAt: input.completed ? now : null,
          dueAt: input.dueAt ? new Date(input.dueAt) : null,
          priority: priorityFromWire(input.priority ?? 'normal'),
          tags: normaliseTags(input.tags ?? []),
          position: await endOfList(tx, ownerId, input.listId, now),
          createdAt: now,
          updatedAt: now,
        });
      });
    },

    async getTodo(ownerId: string, id: string): Promise<TodoRow> {
      return mustFindTodo(repo, ownerId, id);
    },

    async updateTodo(ownerId: string, id: string, changes: TodoChanges, ifMatch?: string): Promise<TodoRow> {
      return write(ownerId, async (tx, now) => {
        const todo = await mustFindTodo(tx, ownerId, id);
        checkIfMatch(todo, ifMatch);
        const patch: TodoPatch = {};
        if (changes.title !== undefined) patch.title = changes.title.trim();
        if (changes.notes !== undefined) patch.notes = changes.notes;
        if (changes.dueAt !== undefined) patch.dueAt = changes.dueAt === null ? null : new Date(changes.dueAt);
        if (changes.priority !== undefined) patch.priority = priorityFromWire(changes.priority);
        if (changes.tags !== undefined) patch.tags = normaliseTags(changes.tags);
        if (changes.completed !== undefined && changes.completed !== todo.completed) {
          patch.completed = changes.completed;
          patch.completedAt = changes.completed ? now : null;
        }
        if (changes.listId !== undefined && changes.listId !== todo.listId) {
          await mustFindList(tx, ownerId, changes.listId);
          patch.listId = changes.listId;
          patch.position = await endOfList(tx, ownerId, changes.listId, now);
        }
        return (await tx.updateTodo(ownerId, id, patch, now)) as TodoRow;
      });
    },

    async deleteTodo(ownerId: string, id: string, ifMatch?: string): Promise<void> {
      await write(ownerId, async (tx, now) => {
        checkIfMatch(await mustFindTodo(tx, ownerId, id), ifMatch);
        await tx.deleteTodos(ownerId, { ids: [id] }, now);
      });
    },

    /**
     * Puts a todo right before or after another one (possibly of another list), or at the end
     * of `listId`. Only the moved todo changes, unless its gap ran out (then its list is renumbered).
     */
    async moveTodo(ownerId: string, id: string, input: { before?: string; after?: string; listId?: string }): Promise<TodoRow> {
      if (input.before && input.after) throw invalid('/after', 'cannot be combined with before');
      const side = input.before ? 'before' : 'after';
      const anchorId = input.before ?? input.after;
      if (anchorId === id) throw invalid(`/${side}`, 'cannot be the todo itself');
      return write(ownerId, async (tx, now) => {
        const todo = await mustFindTodo(tx, ownerId, id);
        if (!anchorId) {
          const listId = input.listId as string;
          await mustFindList(tx, ownerId, listId);
          return (await tx.updateTodo(ownerId, todo.id, { listId, position: await endOfList(tx, ownerId, listId, now) }, now)) as TodoRow;
        }
        let anchor = await mustFindTodo(tx, ownerId, anchorId);
        if (input.listId !== undefined && input.listId !== anchor.listId) {
          throw invalid('/listId', `must be the list of the todo named in ${side}, or left out`);
        }
        const place = async () => {
          const n = await tx.neighbourTodo(ownerId, anchor, side, id);
          return side === 'after'
            ? positionBetween(anchor.position, n?.position ?? null)
            : positionBetween(n?.position ?? null, anchor.position);
        };
        let position = await place();
        if (position === null) {
          deps.log.debug({ ownerId, listId: anchor.listId }, 'positions exhausted; renumbering the list');
          await tx.renumberTodos(ownerId, anchor.listId, now);
          anchor = await mustFindTodo(tx, ownerId, anchorId);
          position = (await place()) as number;
        }
        return (await tx.updateTodo(ownerId, id, { listId: anchor.listId, position }, now)) as TodoRow;
      });
    },

    /** All or nothing: one id that is missing or someone else's fails the whole request, unchanged. */
    async bulk(ownerId: string, action: BulkAction, ids: string[]) {
      return write(ownerId, async (tx, now) => {
        const found = await tx.findTodos(ownerId, ids);
        if (found.length !== ids.length) {
          const have = new Set(found.map((t) => t.id));
          const missing = ids.filter((i) => !have.has(i));
          throw TodoNotFound(`${missing.length} of the ${ids.length} todos do not exist; nothing was changed`, { missing });
        }
        if (action === 'delete') {
          const deleted = await tx.deleteTodos(ownerId, { ids }, now);
          return { action, changed: deleted.length, items: [] as TodoRow[] };
        }
        const changed = await tx.setCompleted(ownerId, ids, action === 'complete', now);
        const byId = new Map((await tx.findTodos(ownerId, ids)).map((t) => [t.id, t]));
        return { action, changed, items: ids.map((i) => byId.get(i) as TodoRow) };
      });
    },

    async listTodos(ownerId: string, query: ListTodosQuery): Promise<TodoPage> {
      if (query.updatedSince !== undefined) {
        const combined = FILTERS.find((f) => query[f] !== undefined);
        if (combined) throw invalid(`/querystring/${combined}`, 'cannot be combined with updatedSince');
        return syncTodos(ownerId, new Date(query.updatedSince), query.limit, query.cursor);
      }
      const sort = query.sort ?? 'position';
      if (query.dueAfter && query.dueBefore && Date.parse(query.dueAfter) >= Date.parse(query.dueBefore)) {
        throw invalid('/querystring/dueBefore', 'must be later than dueAfter');
      }
      const filter: TodoFilter = {
        listId: query.listId,
        completed: query.completed,
        dueAfter: query.dueAfter ? new Date(query.dueAfter) : undefined,
        dueBefore: query.dueBefore ? new Date(query.dueBefore) : undefined,
        overdue: query.overdue,
        tag: query.tag?.trim().toLowerCase(),
        q: query.q,
      };
      const rows = await repo.listTodos(ownerId, filter, sortKeyOf(sort, query.cursor), query.limit + 1, clock.now());
      return toPage(
        rows,
        query.limit,
        todoCursor,
        (r) => cursorKeyOf(sort, r),
        (r) => r,
      );
    },

    /** Erases every list, todo and tombstone of a deleted account. */
    async forgetOwner(ownerId: string): Promise<void> {
      await write(ownerId, (tx) => tx.deleteOwner(ownerId));
    },

    /** Deletes tombstones older than the sync retention; safe to run on every instance. */
    async purgeTombstones(): Promise<number> {
      return repo.purgeTombstones(new Date(clock.now().getTime() - deps.syncRetentionMs));
    },
  };

  /**
   * Delta sync. The shared lock waits for the owner's in-flight writes to commit, and every
   * later write stamps a time >= now; so a change is either in this answer or stamped at or
   * after serverTime, and `updatedSince` is inclusive. Pages of one sync share the first page's
   * serverTime (it travels in the cursor), so changes made while paging come again next time.
   */
  async function syncTodos(ownerId: string, since: Date, limit: number, cursor?: string): Promise<TodoPage> {
    let state: { from: { since: Date } | { after: ChangeKey }; serverTime: Date; reset: boolean } | undefined;
    if (cursor) {
      const [, at, id, serverTime, reset] = syncCursor.decode(cursor);
      state = { from: { after: { at, id } }, serverTime: new Date(serverTime), reset: reset === 1 };
    }
    return repo.transaction(async (tx) => {
      await tx.lockOwnerShared(ownerId);
      if (!state) {
        const now = clock.now().getTime();
        const reset = since.getTime() < now - deps.syncRetentionMs;
        state = { from: { since: reset ? new Date(0) : since }, serverTime: new Date(now - SYNC_CLOCK_SKEW_MS), reset };
      }
      const { from, serverTime, reset } = state;
      const items = await tx.changedTodos(ownerId, from, limit + 1);
      // After a reset the client replaces everything it has, so tombstones add nothing.
      const deleted = reset ? [] : await tx.deletedSince(ownerId, from, limit + 1);
      const changes = [
        ...items.map((item) => ({ at: item.updatedAt, id: item.id, item })),
        ...deleted.map((d) => ({ at: d.deletedAt, id: d.id, item: undefined })),
      ].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const page = changes.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.flatMap((c) => (c.item ? [c.item] : [])),
        deleted: page.flatMap((c) => (c.item ? [] : [{ id: c.id, deletedAt: c.at }])),
        nextCursor:
          changes.length > limit && last
            ? syncCursor.encode(['sync', last.at.toISOString(), last.id, serverTime.toISOString(), reset ? 1 : 0])
            : null,
        serverTime,
        reset,
      };
    });
  }
}

export type TodosService = ReturnType<typeof createTodosService>;
