/**
 * What each deployable runs. `all-in-one` is the default single process; the others split the
 * same modules into services behind a gateway (deploy/gateway/Caddyfile, generated from ROUTES)
 * that share PostgreSQL, Redis, NATS and the bucket. A deployable serves its modules' routes, runs
 * their background work (jobs and event consumers), or both.
 */
import { catalogModule } from './modules/catalog/index.js';
import { chatModule } from './modules/chat/index.js';
import { filesModule } from './modules/files/index.js';
import { identityModule, sessionMirrorModule } from './modules/identity/index.js';
import { shopModule } from './modules/shop/index.js';
import { todosModule } from './modules/todos/index.js';
import { weatherModule } from './modules/weather/index.js';
import { auditModule } from './platform/audit/audit-module.js';
import { deadLettersModule } from './platform/bus/dead-letters-module.js';
import type { ModuleFactory } from './platform/platform.js';

export interface Deployable {
  readonly modules: readonly ModuleFactory[];
  /** Serves the modules' HTTP routes (else only /health/*). */
  readonly routes: boolean;
  /** Runs the modules' jobs and event consumers. */
  readonly background: boolean;
  /** Serves the web client and the root redirect. */
  readonly home: boolean;
  /** Why it is its own process; for the README and the manifests. */
  readonly why: string;
}

const ALL_MODULES = [
  identityModule,
  catalogModule,
  todosModule,
  filesModule,
  shopModule,
  weatherModule,
  chatModule,
  deadLettersModule,
  auditModule,
];

export const DEPLOYMENTS = {
  'all-in-one': {
    modules: ALL_MODULES,
    routes: true,
    background: true,
    home: true,
    why: 'everything in one process (the default, embedded)',
  },
  identity: {
    modules: [identityModule],
    routes: true,
    background: false,
    home: false,
    why: 'the only writer of sessions; argon2-bound, so a login storm cannot take CPU from checkouts',
  },
  commerce: {
    modules: [sessionMirrorModule, catalogModule, shopModule, filesModule, todosModule, weatherModule, deadLettersModule, auditModule],
    routes: true,
    background: false,
    home: true,
    why: 'keeps the synchronous contracts (shop -> catalog stock, catalog -> files images) in one process',
  },
  realtime: {
    modules: [sessionMirrorModule, chatModule],
    routes: true,
    background: false,
    home: false,
    why: 'long-lived sockets scale by connections and drain differently',
  },
  worker: {
    modules: ALL_MODULES,
    routes: false,
    background: true,
    home: false,
    why: "every module's jobs and event consumers, off the request path",
  },
} satisfies Record<string, Deployable>;

export type DeploymentName = keyof typeof DEPLOYMENTS;
/** The deployables that serve routes behind the gateway. */
export type ServiceName = 'identity' | 'commerce' | 'realtime';
export const SERVICES: readonly ServiceName[] = ['identity', 'commerce', 'realtime'];

/**
 * Which service serves a path, by prefix (the longest matching prefix wins). The gateway's
 * config is generated from this table; a test checks that every route of all-in-one has exactly
 * one owner here and that the owner really serves it. `/health/*` is every process's own;
 * `/openapi.json` and `/docs` are served by the gateway (the all-in-one document, exported at build).
 */
export const ROUTES: readonly { readonly prefix: string; readonly service: ServiceName }[] = [
  { prefix: '/api/v1/auth/', service: 'identity' },
  { prefix: '/api/v1/users/', service: 'identity' },
  { prefix: '/api/v1/admin/users', service: 'identity' },
  { prefix: '/api/v1/chat/', service: 'realtime' },
  { prefix: '/asyncapi.json', service: 'realtime' },
  { prefix: '/api/v1/products', service: 'commerce' },
  { prefix: '/api/v1/categories', service: 'commerce' },
  { prefix: '/api/v1/cart', service: 'commerce' },
  { prefix: '/api/v1/orders', service: 'commerce' },
  { prefix: '/api/v1/payments/', service: 'commerce' },
  { prefix: '/api/v1/admin/orders', service: 'commerce' },
  { prefix: '/api/v1/admin/stats', service: 'commerce' },
  { prefix: '/api/v1/admin/events/', service: 'commerce' },
  { prefix: '/api/v1/admin/audit', service: 'commerce' },
  { prefix: '/api/v1/files', service: 'commerce' },
  { prefix: '/api/v1/todo-lists', service: 'commerce' },
  { prefix: '/api/v1/todos', service: 'commerce' },
  { prefix: '/api/v1/weather/', service: 'commerce' },
  { prefix: '/todo-backend', service: 'commerce' },
  // The web client.
  { prefix: '/app', service: 'commerce' },
];

/** Gets what no prefix matches: the root redirect to the web client, and 404s as problem documents. */
export const FALLBACK_SERVICE: ServiceName = 'commerce';

/** The service that serves `path`, by the longest matching prefix of ROUTES; undefined when none matches. */
export function serviceFor(path: string): ServiceName | undefined {
  let best: (typeof ROUTES)[number] | undefined;
  for (const route of ROUTES) {
    if (path.startsWith(route.prefix) && (!best || route.prefix.length > best.prefix.length)) best = route;
  }
  return best?.service;
}
