/**
 * The stock contract the shop calls: reserve an order's lines, release them on cancellation.
 * Both are idempotent by order id, so a retried call (or a redelivered event) changes nothing.
 * Stock never goes below zero: every line is decided under the products' row locks before any
 * stock moves, so an order gets all its lines or none, and a refusal writes nothing.
 *
 * Shop and catalog run in the same deployable, so a call may take the caller's transaction
 * (`{ tx }`): the reservation then commits or rolls back with the caller's order. The catalog
 * still owns its tables: the caller only passes the transaction through, never the SQL.
 */
import type { Clock } from '../../platform/clock.js';
import type { Executor } from '../../platform/db/database.js';
import type { FieldError } from '../../platform/http/errors.js';
import { ValidationFailed } from '../../platform/http/errors.js';
import { isUuid } from '../../platform/ids.js';
import { OutOfStock, ProductUnavailable } from './errors.js';
import { type CatalogRepo, catalogRepoIn } from './repo.js';
import type { ProductRecord } from './wire.js';

/** One line of an order: how many of a product. */
export interface StockLine {
  productId: string;
  quantity: number;
}

/** The reservation of an order as stored (lines merged per product, sorted by product id). */
export interface StockReservation {
  orderId: string;
  status: 'reserved' | 'released';
  lines: StockLine[];
  /** False when this call found the reservation already made (a replay). */
  created: boolean;
}

/** What the shop needs of a product to price an order line. */
export interface ProductForOrder {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  stock: number;
  status: 'active' | 'archived';
  version: number;
}

/** Runs a contract call inside the caller's open transaction instead of one of its own. */
export interface InCallerTransaction {
  tx?: Executor;
}

/**
 * The caller's own refusals, run under the products' row locks before anything is written (a
 * thrown error refuses the reservation). It sees the products as locked; unknown ids are left out.
 */
export type CheckProducts = (products: ProductForOrder[]) => void;

/** A reservation with the products as they were locked for it (none on a replay). */
export type Reserved = StockReservation & { products: ProductForOrder[] };

/** The contract other modules use, in-process (it may take the caller's transaction). */
export interface StockContract {
  /**
   * Takes stock for every line of `orderId`, all or nothing. Replaying an order id returns the
   * stored reservation without touching stock. Throws OUT_OF_STOCK (422, with `productId` and
   * `available`) or PRODUCT_UNAVAILABLE (422: unknown or archived product), having written
   * nothing, so a caller's transaction may go on and commit (e.g. the refusal as an answer).
   * `check` adds the caller's refusals (pricing, limits) under the same row locks, before the
   * catalog's own, so the caller need not read the products separately.
   */
  reserveStock(orderId: string, lines: StockLine[], options?: InCallerTransaction & { check?: CheckProducts }): Promise<Reserved>;
  /** Gives the stock of `orderId` back once; false when it was unknown or already released. */
  releaseStock(orderId: string): Promise<boolean>;
  /** Current price, stock and status of products (unknown ids are left out). */
  getProductsForOrder(productIds: string[], options?: InCallerTransaction): Promise<ProductForOrder[]>;
  /** Active products with at most `threshold` units left, fewest first (for the shop's admin stats). */
  lowStockProducts(threshold: number, limit: number): Promise<ProductForOrder[]>;
}

const toProductForOrder = (p: ProductRecord): ProductForOrder => ({
  id: p.id,
  sku: p.sku,
  name: p.name,
  priceCents: p.priceCents,
  currency: p.currency,
  stock: p.stock,
  status: p.status,
  version: p.version,
});

export function createStockContract(deps: { repo: CatalogRepo; clock: Clock }): StockContract {
  const { repo, clock } = deps;

  function mergeLines(lines: StockLine[]): StockLine[] {
    const errors: FieldError[] = [];
    const merged = new Map<string, number>();
    lines.forEach((line, i) => {
      if (!isUuid(line.productId)) errors.push({ path: `/lines/${i}/productId`, message: 'must be a product id' });
      if (!Number.isInteger(line.quantity) || line.quantity < 1)
        errors.push({ path: `/lines/${i}/quantity`, message: 'must be a whole number >= 1' });
      merged.set(line.productId, (merged.get(line.productId) ?? 0) + line.quantity);
    });
    if (lines.length === 0) errors.push({ path: '/lines', message: 'must not be empty' });
    if (errors.length) throw ValidationFailed(`${errors[0]?.path} ${errors[0]?.message}`, { errors });
    // Sorted by product id: concurrent orders lock rows in the same order, so they cannot deadlock.
    return [...merged].map(([productId, quantity]) => ({ productId, quantity })).sort((a, b) => (a.productId < b.productId ? -1 : 1));
  }

  async function reserveIn(tx: CatalogRepo, orderId: string, wanted: StockLine[], check?: CheckProducts): Promise<Reserved> {
    // Decide every line under the row locks before writing: a refusal then has written nothing.
    const products = await tx.lockForOrder(wanted.map((l) => l.productId));
    try {
      check?.(products);
      const locked = new Map(products.map((p) => [p.id, p]));
      for (const line of wanted) {
        const product = locked.get(line.productId);
        if (product?.status !== 'active')
          throw ProductUnavailable(`Product ${line.productId} cannot be ordered`, { productId: line.productId });
        if (product.stock < line.quantity)
          throw OutOfStock(`Only ${product.stock} of '${product.name}' left`, { productId: line.productId, available: product.stock });
      }
    } catch (refusal) {
      // A replay is answered with what was stored, whatever the products look like now.
      const existing = await replayOf(tx, orderId);
      if (existing) return existing;
      throw refusal;
    }
    // A concurrent call with the same order id waits on the reservation's primary key until the first commits.
    const written = await tx.writeReservation(orderId, wanted, clock.now());
    if (!written.created) return (await replayOf(tx, orderId)) ?? Promise.reject(new Error(`reservation ${orderId} vanished`));
    // Cannot fall short under the row locks; the conditional update stays as the last guard against overselling.
    if (written.taken !== wanted.length) throw new Error(`stock of order ${orderId} changed under its row locks`);
    return { orderId, status: 'reserved', lines: wanted, created: true, products };
  }

  async function replayOf(tx: CatalogRepo, orderId: string): Promise<Reserved | undefined> {
    const existing = await tx.findReservation(orderId);
    if (!existing) return undefined;
    return { orderId, status: existing.releasedAt ? 'released' : 'reserved', lines: existing.lines, created: false, products: [] };
  }

  return {
    async reserveStock(orderId, lines, options = {}) {
      const wanted = mergeLines(lines);
      if (options.tx) return reserveIn(catalogRepoIn(options.tx), orderId, wanted, options.check);
      return repo.transaction((tx) => reserveIn(tx, orderId, wanted, options.check));
    },

    async releaseStock(orderId) {
      return repo.transaction(async (tx) => {
        const now = clock.now();
        if (!(await tx.markReleased(orderId, now))) return false;
        const reservation = await tx.findReservation(orderId);
        for (const line of reservation?.lines ?? []) await tx.returnStock(line.productId, line.quantity, now);
        return true;
      });
    },

    async getProductsForOrder(productIds, options = {}) {
      return (options.tx ? catalogRepoIn(options.tx) : repo).findProductsForOrder([...new Set(productIds)]);
    },

    async lowStockProducts(threshold, limit) {
      return (await repo.findLowStock(threshold, limit)).map(toProductForOrder);
    },
  };
}
