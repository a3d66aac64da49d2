/**
 * Every module's event map, merged: the schemas the bus checks each payload against at the
 * consumer. A deployable gets them all, since it may consume events of modules it does not run.
 * `satisfies` fails the type check when a module declares an event type without its schema.
 */
import { CatalogEventMap } from './modules/catalog/index.js';
import { FilesEventMap } from './modules/files/index.js';
import { IdentityEventMap } from './modules/identity/index.js';
import { ShopEventMap } from './modules/shop/index.js';
import type { EventSchemas } from './platform/bus/typed-events.js';

export const EVENT_SCHEMAS = {
  ...IdentityEventMap,
  ...FilesEventMap,
  ...CatalogEventMap,
  ...ShopEventMap,
} satisfies EventSchemas;
