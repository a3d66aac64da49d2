/** Loads the demo catalog into an empty database; does nothing when any product or category exists. */
import type { OutboxRelay } from '../../platform/bus/outbox.js';
import type { Clock } from '../../platform/clock.js';
import { newId } from '../../platform/ids.js';
import { CatalogEvents } from './events.js';
import type { CatalogRepo } from './repo.js';
import { SEED_CATEGORIES, seedProducts } from './seed-data.js';
import { toProductWire } from './wire.js';

export function createCatalogSeeder(deps: { repo: CatalogRepo; relay: OutboxRelay; clock: Clock }) {
  return {
    /** True when the catalog has neither products nor categories. */
    async isEmpty(): Promise<boolean> {
      return (await deps.repo.countProducts()) === 0 && (await deps.repo.countCategories()) === 0;
    },

    /** Seeds once: returns how many products were created (0 when the catalog was not empty). */
    async seed(): Promise<number> {
      const created = await deps.repo.transaction(async (tx) => {
        // Two instances starting together on an empty database: one seeds, the other sees rows.
        await tx.lockCategoryTree();
        if ((await tx.countProducts()) > 0 || (await tx.countCategories()) > 0) return 0;
        const now = deps.clock.now();
        const idOf = new Map<string, string>();
        for (const c of SEED_CATEGORIES) {
          const row = await tx.insertCategory({
            id: newId(),
            slug: c.slug,
            name: c.name,
            parentId: c.parent ? (idOf.get(c.parent) ?? null) : null,
            createdAt: now,
            updatedAt: now,
          });
          idOf.set(c.slug, row.id);
        }
        // Spread creation times over the past days so "newest first" looks like a real shop.
        const rows = seedProducts().map(({ categorySlugs, ...p }, i) => ({
          ...p,
          id: newId(),
          now: new Date(now.getTime() - (240 - i) * 3_600_000),
          categoryIds: categorySlugs.map((s) => idOf.get(s) as string),
        }));
        const products = await tx.insertProducts(rows);
        await tx.enqueueEvents(products.map((p) => ({ type: CatalogEvents.productCreated, payload: { product: toProductWire(p) } })));
        return products.length;
      });
      deps.relay.kick();
      return created;
    },
  };
}
