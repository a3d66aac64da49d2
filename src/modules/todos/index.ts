/**
 * The todos module: each user's private lists and todos (filters, ordering, bulk actions,
 * delta sync for offline clients), plus the optional anonymous Todo-Backend contract. It
 * publishes no events; it forgets a user's todos when identity reports the user deleted.
 */

import type { ModuleFactory } from '../../platform/platform.js';
import { IdentityEvents } from '../identity/index.js';
import { createTodosRepo } from './repo.js';
import { todosRoutes } from './routes.js';
import { createTodosService } from './service.js';
import { todosSettings } from './settings.js';
import { createTodoBackendRepo } from './todo-backend-repo.js';
import { todoBackendRoutes } from './todo-backend-routes.js';
import { createTodoBackendService } from './todo-backend-service.js';

const PURGE_EVERY_MS = 60 * 60_000;

/** Plugs todos into the app: routes under /api/v1 (and /todo-backend when enabled), hourly tombstone purge, cleanup of deleted users. */
export const todosModule: ModuleFactory = (platform) => {
  const config = todosSettings.read(platform.config);
  const log = platform.log.child({ module: 'todos' });
  const repo = createTodosRepo(platform.db);
  const todos = createTodosService({
    repo,
    clock: platform.clock,
    log,
    limits: { maxListsPerUser: config.TODO_MAX_LISTS_PER_USER, maxTodosPerUser: config.TODO_MAX_TODOS_PER_USER },
    syncRetentionMs: config.TODO_SYNC_RETENTION,
  });

  const purge = async () => {
    const n = await todos.purgeTombstones();
    if (n) log.info({ tombstones: n }, 'purged tombstones past TODO_SYNC_RETENTION');
  };

  return {
    name: 'todos',
    routes: async (app) => {
      await app.register(todosRoutes, { todos });
    },
    // The Todo-Backend contract lives at /todo-backend, outside the versioned API.
    rootRoutes: async (app) => {
      if (config.TODO_BACKEND_COMPAT) {
        const service = createTodoBackendService({
          repo: createTodoBackendRepo(platform.db),
          clock: platform.clock,
          maxItems: config.TODO_BACKEND_MAX_ITEMS,
        });
        await app.register(todoBackendRoutes, { prefix: '/todo-backend', service, publicUrl: config.PUBLIC_URL?.replace(/\/$/, '') });
      }
    },
    jobs: [{ name: 'todos.purge-tombstones', everyMs: PURGE_EVERY_MS, run: purge }],
    subscribe: () => [
      platform.bus.subscribe('todos', IdentityEvents.userDeleted, async (event) => {
        const { userId } = event.payload;
        await todos.forgetOwner(userId);
        log.info({ userId }, 'deleted the todos of a deleted user');
      }),
    ],
  };
};
