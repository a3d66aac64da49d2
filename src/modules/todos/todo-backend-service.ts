/**
 * The Todo-Backend (todobackend.com) contract over an anonymous, shared store. It exists so the
 * public spec runner and its demo clients can exercise this server; it never touches users' todos.
 */
import type { Clock } from '../../platform/clock.js';
import { isUuid, newId } from '../../platform/ids.js';
import { TodoBackendFull, TodoNotFound } from './errors.js';
import type { BackendTodoRow } from './tables.js';
import type { BackendTodoPatch, TodoBackendRepo } from './todo-backend-repo.js';

export interface TodoBackendServiceDeps {
  repo: TodoBackendRepo;
  clock: Clock;
  /** The store refuses new todos beyond this many (TODO_BACKEND_MAX_ITEMS). */
  maxItems: number;
}

export function createTodoBackendService({ repo, clock, maxItems }: TodoBackendServiceDeps) {
  const notFound = (id: string) => TodoNotFound(`No todo ${id}`);
  const known = isUuid;

  return {
    list: () => repo.list(),

    async create(input: { title: string; completed?: boolean; order?: number }): Promise<BackendTodoRow> {
      return repo.transaction(async (tx) => {
        await tx.lockStore();
        if ((await tx.count()) >= maxItems) {
          throw TodoBackendFull(`The store holds its maximum of ${maxItems} todos; DELETE some (or all) first`, { limit: maxItems });
        }
        return tx.insert({
          id: newId(),
          title: input.title,
          completed: input.completed ?? false,
          order: input.order ?? null,
          createdAt: clock.now(),
        });
      });
    },

    async get(id: string): Promise<BackendTodoRow> {
      const row = known(id) ? await repo.find(id) : undefined;
      if (!row) throw notFound(id);
      return row;
    },

    async update(id: string, patch: BackendTodoPatch): Promise<BackendTodoRow> {
      const row = known(id) ? await repo.update(id, patch) : undefined;
      if (!row) throw notFound(id);
      return row;
    },

    async delete(id: string): Promise<void> {
      if (!known(id) || !(await repo.delete(id))) throw notFound(id);
    },

    deleteAll: () => repo.deleteAll(),
  };
}

export type TodoBackendService = ReturnType<typeof createTodoBackendService>;
