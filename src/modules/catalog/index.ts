/**
 * The catalog module: products (goods, books, movies), the category tree, search, and the
 * stock contract the shop calls. Other modules use only what is exported here.
 */
import type { ModuleFactory, Platform } from '../../platform/platform.js';
import { createFilesContract } from '../files/index.js';
import { createCatalogRepo } from './repo.js';
import { catalogRoutes } from './routes.js';
import { createCatalogSeeder } from './seed.js';
import { createCatalogService } from './service.js';
import { catalogSettings } from './settings.js';
import { createStockContract, type StockContract } from './stock.js';

export { CatalogEventMap, CatalogEvents, type ProductChanged, type ProductDeleted } from './events.js';
/** The catalog's settings; chat reads CATALOG_SEED_ON_EMPTY from them (its demo room comes with the demo catalog). */
export { catalogSettings } from './settings.js';
export type { CheckProducts, InCallerTransaction, ProductForOrder, Reserved, StockContract, StockLine, StockReservation } from './stock.js';
export type { ProductWire } from './wire.js';

/**
 * The stock contract over the platform's database, for the shop: `reserveStock(orderId, lines)`
 * and `releaseStock(orderId)` are idempotent by order id and never oversell; `reserveStock` may
 * run in the caller's transaction (`{ tx }`) and refuses before writing anything. A product that a
 * reservation ever named counts as referenced by an order: DELETE archives it instead.
 */
export function createCatalogStock(platform: Pick<Platform, 'db' | 'clock'>): StockContract {
  return createStockContract({ repo: createCatalogRepo(platform.db), clock: platform.clock });
}

/**
 * Plugs the catalog into the app: routes and the demo seed; its events go out through the platform's outbox relay.
 * Product images are files of the files module, checked and linked through its contract.
 */
export const catalogModule: ModuleFactory = (platform) => {
  const config = catalogSettings.read(platform.config);
  const log = platform.log.child({ module: 'catalog' });
  const repo = createCatalogRepo(platform.db);
  const { relay } = platform;
  const files = createFilesContract(platform);
  const catalog = createCatalogService({ repo, relay, clock: platform.clock, images: files });
  const seeder = createCatalogSeeder({ repo, relay, clock: platform.clock });

  async function seed() {
    const created = await seeder.seed();
    if (created) log.info({ products: created }, 'demo catalog loaded');
    else log.info('catalog not empty: demo catalog not loaded');
  }

  return {
    name: 'catalog',
    routes: async (app) =>
      app.register(catalogRoutes, { catalog, maxAgeSeconds: config.CATALOG_CACHE_MAX_AGE, imageUrl: files.publicUrlOf }),
    async start() {
      if (!(await seeder.isEmpty())) return;
      if (config.CATALOG_SEED_ON_EMPTY) await seed();
      else if (platform.database.engine === 'pglite') {
        log.info(
          'The catalog is empty. Load the demo catalog: start once with CATALOG_SEED_ON_EMPTY=true, or stop the server and run `npm run seed`',
        );
      }
    },
    seed,
  };
};
