/**
 * Catalog settings: demo data at start and how long public reads may be cached.
 * Composed into the app by src/settings.ts; the module reads them with `catalogSettings.read(platform.config)`.
 */
import { bool, type ConfigOf, defineSettings, int } from '../../platform/config.js';

/** Every variable the catalog module reads. Order is the order of the docs. */
export const catalogSettings = defineSettings('catalog', {
  CATALOG_SEED_ON_EMPTY: {
    doc: 'Load the demo catalog (200+ books, movies and goods) at start when the catalog is empty. Otherwise an empty embedded catalog logs how to seed it.',
    example: 'true',
    default: 'false',
    parse: bool,
  },
  CATALOG_CACHE_MAX_AGE: {
    doc: 'Seconds public catalog reads may be cached (Cache-Control max-age); ETags revalidate after that.',
    example: '30',
    default: '30',
    parse: int(0, 86_400),
  },
});

/** The parsed catalog settings. */
export type CatalogConfig = ConfigOf<typeof catalogSettings>;
