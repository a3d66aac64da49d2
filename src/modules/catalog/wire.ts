/** Row -> wire mapping: the wire shape is a promise, the row shape is not. */
import type { CategoryRow, ProductRow } from './tables.js';

/** A product row with its category ids, as the repository returns it. */
export type ProductRecord = ProductRow & { categoryIds: string[] };

export const toProductWire = (p: ProductRecord) => ({
  id: p.id,
  sku: p.sku,
  kind: p.kind,
  name: p.name,
  description: p.description,
  priceCents: p.priceCents,
  currency: p.currency,
  stock: p.stock,
  status: p.status,
  categoryIds: p.categoryIds,
  imageIds: p.imageIds,
  attributes: p.attributes,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
  version: p.version,
});

/** A product as the API and the events show it. */
export type ProductWire = ReturnType<typeof toProductWire>;

export const toCategoryWire = (c: CategoryRow) => ({
  id: c.id,
  slug: c.slug,
  name: c.name,
  parentId: c.parentId,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
  version: c.version,
});
