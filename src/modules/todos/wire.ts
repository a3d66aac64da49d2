/** Row -> wire mapping: the wire shape is a promise, the row shape is not. */
import { entityTag } from '../../platform/http/etag.js';
import { PRIORITIES, type PriorityName } from './schema.js';
import type { BackendTodoRow, TodoListRow, TodoRow } from './tables.js';

export const priorityToWire = (p: number): PriorityName => PRIORITIES[p] ?? 'normal';
export const priorityFromWire = (p: PriorityName): number => PRIORITIES.indexOf(p);

export const toListWire = (l: TodoListRow) => ({
  id: l.id,
  name: l.name,
  position: l.position,
  createdAt: l.createdAt.toISOString(),
  updatedAt: l.updatedAt.toISOString(),
  version: l.version,
});

export const toTodoWire = (t: TodoRow) => ({
  id: t.id,
  listId: t.listId,
  title: t.title,
  notes: t.notes,
  completed: t.completed,
  completedAt: t.completedAt?.toISOString() ?? null,
  dueAt: t.dueAt?.toISOString() ?? null,
  priority: priorityToWire(t.priority),
  tags: t.tags,
  position: t.position,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
  version: t.version,
});

/** `baseUrl` is the absolute URL of the Todo-Backend root, without a trailing slash. */
export const toBackendTodoWire = (t: BackendTodoRow, baseUrl: string) => ({
  id: t.id,
  title: t.title,
  completed: t.completed,
  order: t.order,
  url: `${baseUrl}/${t.id}`,
});

/** The strong ETag of a list or todo: its id and version (every change bumps the version). */
export const etagOf = (row: { id: string; version: number }) => entityTag(row.id, row.version);
