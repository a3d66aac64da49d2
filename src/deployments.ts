/**
 * Which modules each deployable runs. `all-in-one` is the default single process; the others
 * split the same modules into services that share the database and talk over the bus.
 */
import { catalogModule } from './modules/catalog/index.js';
import { chatModule } from './modules/chat/index.js';
import { filesModule } from './modules/files/index.js';
import { identityModule } from './modules/identity/index.js';
import { shopModule } from './modules/shop/index.js';
import { todosModule } from './modules/todos/index.js';
import { weatherModule } from './modules/weather/index.js';
import type { ModuleFactory } from './platform/platform.js';

export const DEPLOYMENTS = {
  'all-in-one': [identityModule, catalogModule, todosModule, filesModule, shopModule, weatherModule, chatModule],
} satisfies Record<string, ModuleFactory[]>;

export type DeploymentName = keyof typeof DEPLOYMENTS;
