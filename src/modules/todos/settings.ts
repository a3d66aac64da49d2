/**
 * Todo settings: per-user limits, delta-sync retention and the Todo-Backend compatibility routes.
 * Composed into the app by src/settings.ts; the module reads them with `todosSettings.read(platform.config)`.
 */
import { bool, type ConfigOf, defineSettings, duration, int } from '../../platform/config.js';

/** Every variable the todos module reads. Order is the order of the docs. */
export const todosSettings = defineSettings('todos', {
  TODO_MAX_LISTS_PER_USER: {
    doc: 'Todo lists one user may have; creating one more answers 422 TODO_LIST_LIMIT_REACHED.',
    example: '100',
    default: '100',
    parse: int(1, 100_000),
  },
  TODO_MAX_TODOS_PER_USER: {
    doc: 'Todos one user may have across their lists; creating one more answers 422 TODO_LIMIT_REACHED.',
    example: '5000',
    default: '5000',
    parse: int(1, 1_000_000),
  },
  TODO_SYNC_RETENTION: {
    doc: 'How long tombstones of deleted todos are kept for delta sync; an older updatedSince gets a full resync.',
    example: '30d',
    default: '30d',
    parse: duration,
  },
  TODO_BACKEND_COMPAT: {
    doc: 'Serve the anonymous Todo-Backend (todobackend.com) contract at /todo-backend, open to every origin.',
    example: 'false',
    default: 'false',
    parse: bool,
  },
  TODO_BACKEND_MAX_ITEMS: {
    doc: 'Most todos the shared Todo-Backend store holds; more answer 422 TODO_BACKEND_FULL until some are deleted.',
    example: '500',
    default: '500',
    parse: int(1, 100_000),
  },
});

/** The parsed todos settings. */
export type TodosConfig = ConfigOf<typeof todosSettings>;
