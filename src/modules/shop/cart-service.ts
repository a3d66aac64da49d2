/**
 * The cart: one per user, priced from the catalog's current prices on every read (integer
 * minor units), one currency per cart. Putting a line checks that the product is active and
 * that the quantity is available right now; checkout checks again, atomically.
 */

import type { Clock } from '../../platform/clock.js';
import type { ProductForOrder, StockContract } from '../catalog/index.js';
import { CartItemNotFound, CartLimit, CurrencyMismatch, LineQuantityLimit, NotEnoughStock, ProductNotOrderable } from './errors.js';
import { checkAmount } from './money.js';
import type { ShopRepo } from './repo.js';

export const MAX_CART_LINES = 100;

export interface CartLineWire {
  productId: string;
  sku: string | null;
  name: string | null;
  unitPriceCents: number | null;
  currency: string | null;
  quantity: number;
  lineTotalCents: number;
  /** Stock available now; the cart does not hold stock. */
  available: number;
  /** Why this line cannot be ordered as it is, or null. */
  problem: 'unavailable' | 'insufficient_stock' | null;
}

export interface CartWire {
  items: CartLineWire[];
  currency: string | null;
  totalCents: number;
  itemCount: number;
  /** True when every line can be ordered as it is. */
  orderable: boolean;
}

/** Hoarding guard: one line may not hold more than SHOP_MAX_LINE_QUANTITY units (cart and checkout). */
export const lineQuantityLimit = (productId: string, limit: number) =>
  LineQuantityLimit(`At most ${limit} units of one product per order`, { productId, limit });

export type CartService = ReturnType<typeof createCartService>;

export function createCartService(deps: { repo: ShopRepo; stock: StockContract; clock: Clock; maxLineQuantity: number }) {
  const { repo, stock, clock, maxLineQuantity } = deps;

  function render(rows: { productId: string; quantity: number }[], products: Map<string, ProductForOrder>): CartWire {
    const items = rows.map((row): CartLineWire => {
      const p = products.get(row.productId);
      if (p?.status !== 'active') {
        return {
          productId: row.productId,
          sku: p?.sku ?? null,
          name: p?.name ?? null,
          unitPriceCents: null,
          currency: null,
          quantity: row.quantity,
          lineTotalCents: 0,
          available: 0,
          problem: 'unavailable',
        };
      }
      return {
        productId: p.id,
        sku: p.sku,
        name: p.name,
        unitPriceCents: p.priceCents,
        currency: p.currency,
        quantity: row.quantity,
        lineTotalCents: p.priceCents * row.quantity,
        available: p.stock,
        problem: p.stock < row.quantity ? 'insufficient_stock' : null,
      };
    });
    const priced = items.filter((i) => i.currency !== null);
    return {
      items,
      currency: priced[0]?.currency ?? null,
      totalCents: priced.reduce((sum, i) => sum + i.lineTotalCents, 0),
      itemCount: items.reduce((sum, i) => sum + i.quantity, 0),
      orderable: items.length > 0 && items.every((i) => i.problem === null),
    };
  }

  const productsOf = async (ids: string[]) => new Map((await stock.getProductsForOrder(ids)).map((p) => [p.id, p]));

  async function view(userId: string): Promise<CartWire> {
    const rows = await repo.listCart(userId);
    return render(rows, await productsOf(rows.map((r) => r.productId)));
  }

  return {
    view,

    async putItem(userId: string, productId: string, quantity: number): Promise<CartWire> {
      if (quantity > maxLineQuantity) throw lineQuantityLimit(productId, maxLineQuantity);
      const lines = await repo.listCart(userId);
      const products = await productsOf([productId, ...lines.map((l) => l.productId)]);
      const product = products.get(productId);
      if (product?.status !== 'active') throw ProductNotOrderable(`Product ${productId} cannot be ordered`, { productId });
      if (product.stock < quantity) {
        throw NotEnoughStock(`Only ${product.stock} of '${product.name}' left`, { productId, available: product.stock });
      }
      const others = lines.filter((l) => l.productId !== productId);
      if (others.length >= MAX_CART_LINES)
        throw CartLimit(`A cart holds at most ${MAX_CART_LINES} different products`, { limit: MAX_CART_LINES });
      const currencies = new Set(
        others.flatMap((l) => {
          const p = products.get(l.productId);
          return p?.status === 'active' ? [p.currency] : [];
        }),
      );
      if (currencies.size > 0 && !currencies.has(product.currency)) {
        throw CurrencyMismatch(`The cart is in ${[...currencies].join(', ')}; '${product.name}' is priced in ${product.currency}`, {
          cartCurrency: [...currencies][0],
        });
      }
      // What checkout would charge must stay within the money bound (the cart holds no prices,
      // so checkout checks again at the prices of then).
      checkAmount(product.priceCents * quantity, 'line total', { productId });
      checkAmount(
        others.reduce((sum, l) => {
          const p = products.get(l.productId);
          return p?.status === 'active' ? sum + p.priceCents * l.quantity : sum;
        }, product.priceCents * quantity),
        'cart total',
      );
      await repo.upsertCartItem(userId, productId, quantity, clock.now());
      // The cart as it now is, from what was just read: a new line goes last (newest addedAt).
      const updated = lines.some((l) => l.productId === productId)
        ? lines.map((l) => (l.productId === productId ? { ...l, quantity } : l))
        : [...lines, { productId, quantity }];
      return render(updated, products);
    },

    async removeItem(userId: string, productId: string): Promise<CartWire> {
      if (!(await repo.deleteCartItem(userId, productId))) throw CartItemNotFound(`Product ${productId} is not in the cart`);
      return view(userId);
    },

    async clear(userId: string) {
      await repo.clearCart(userId);
    },
  };
}
