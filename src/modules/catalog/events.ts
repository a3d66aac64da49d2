/**
 * Events the catalog publishes through the outbox, after the change commits. Every payload
 * carries the product as the API shows it, so consumers need no call back. One event per
 * change: an update that archives publishes `product.archived`, not also `product.updated`.
 */
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
