/**
 * Events the catalog publishes through the outbox, after the change commits. Every payload
 * carries the product as the API shows it, so consumers need no call back. One event per
 * change: an update that archives publishes `product.archived`, not also `product.updated`.
 */
import { Type } from '@fastify/type-provider-typebox';
import { Product } from './schema.js';
import type { ProductWire } from './wire.js';

export const CatalogEvents = {
  productCreated: 'product.created',
  productUpdated: 'product.updated',
  productArchived: 'product.archived',
  /** Hard delete of a product no order references (see DELETE /products/:id). */
  productDeleted: 'product.deleted',
} as const;

export interface ProductChanged {
  product: ProductWire;
}
export interface ProductDeleted {
  productId: string;
  sku: string;
}

// The product as toProductWire makes it: image URLs are added per request by the routes, not published.
const ProductChangedSchema = Type.Object({ product: Type.Omit(Product, ['imageUrls']) });

/** Event type -> payload schema: what consumers check each payload against (merged in src/events.ts). */
export const CatalogEventMap = {
  [CatalogEvents.productCreated]: ProductChangedSchema,
  [CatalogEvents.productUpdated]: ProductChangedSchema,
  [CatalogEvents.productArchived]: ProductChangedSchema,
  [CatalogEvents.productDeleted]: Type.Object({ productId: Type.String({ format: 'uuid' }), sku: Type.String() }),
};

/** The name of an event this module publishes. */
export type CatalogEventType = (typeof CatalogEvents)[keyof typeof CatalogEvents];

declare module '../../platform/bus/typed-events.js' {
  interface EventPayloads {
    'product.created': ProductChanged;
    'product.updated': ProductChanged;
    'product.archived': ProductChanged;
    'product.deleted': ProductDeleted;
  }
}
