/** Reading orders: the customer's own, the admin's filtered view, and the admin statistics. */

import { Type } from '@fastify/type-provider-typebox';
import type { Clock } from '../../platform/clock.js';
import { ValidationFailed } from '../../platform/http/errors.js';
import { CursorPart, decodeOptional, defineCursor, toPage } from '../../platform/http/pagination.js';
import type { StockContract } from '../catalog/index.js';
import { OrderNotFound } from './errors.js';
import { toOrderWireOne, toOrderWires } from './order-views.js';
import type { OrderFilter, ShopRepo } from './repo.js';
import type { OrderRow } from './tables.js';

const DAY_MS = 86_400_000;
const orderCursor = defineCursor(Type.Tuple([CursorPart.instant(), CursorPart.uuid()]));
const MAX_STATS_DAYS = 366;

export type OrderQueries = ReturnType<typeof createOrderQueries>;

export function createOrderQueries(deps: { repo: ShopRepo; stock: StockContract; clock: Clock; lowStockThreshold: number }) {
  const { repo, stock } = deps;

  async function list(filter: OrderFilter, page: { limit: number; cursor?: string }) {
    const key = decodeOptional(orderCursor, page.cursor);
    const after = key && { createdAt: new Date(key[0]), id: key[1] };
    const rows = await repo.listOrders(filter, after, page.limit);
    const { items, nextCursor } = toPage(
      rows,
      page.limit,
      orderCursor,
      (r) => [r.createdAt.toISOString(), r.id],
      (r) => r,
    );
    return { items: await toOrderWires(repo, items), nextCursor };
  }

  return {
    list,

    async get(orderId: string, userId?: string) {
      const row = await repo.findOrder(orderId, { userId });
      if (!row) throw OrderNotFound(`No order ${orderId}`);
      return toOrderWireOne(repo, row as OrderRow);
    },

    /** Orders and revenue per UTC day over [from, to), and the products running low. */
    async stats(range: { from?: string; to?: string }, lowStockThreshold = deps.lowStockThreshold) {
      const to = range.to ? new Date(range.to) : new Date(Math.ceil(deps.clock.now().getTime() / DAY_MS) * DAY_MS);
      const from = range.from ? new Date(range.from) : new Date(to.getTime() - 30 * DAY_MS);
      if (!(from < to))
        throw ValidationFailed('from must be before to', { errors: [{ path: '/querystring/from', message: 'must be before to' }] });
      if (to.getTime() - from.getTime() > MAX_STATS_DAYS * DAY_MS) {
        throw ValidationFailed(`The range may span at most ${MAX_STATS_DAYS} days`, {
          errors: [{ path: '/querystring/from', message: `must be at most ${MAX_STATS_DAYS} days before to` }],
        });
      }
      const days = (await repo.dailyStats(from, to)).map((r) => ({
        day: r.day,
        currency: r.currency,
        orders: Number(r.orders),
        paidOrders: Number(r.paid),
        revenueCents: Number(r.revenue) - Number(r.refunded),
        refundedCents: Number(r.refunded),
      }));
      const lowStock = (await stock.lowStockProducts(lowStockThreshold, 50)).map((p) => ({
        productId: p.id,
        sku: p.sku,
        name: p.name,
        stock: p.stock,
      }));
      return { from: from.toISOString(), to: to.toISOString(), days, lowStock, lowStockThreshold };
    },
  };
}
