/**
 * SQL of the shop module. Queries of a customer's data carry the owner id in their WHERE
 * clause, so someone else's order looks exactly like a missing one. Every function runs on
 * the database or on the transaction it was given.
 */
import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { AuditActor } from '../../platform/audit/actor.js';
import { type AuditEntry, recordAudit } from '../../platform/audit/audit.js';
import { enqueueEvent } from '../../platform/bus/outbox.js';
import type { EventPayloads } from '../../platform/bus/typed-events.js';
import { type Executor, rowsOf } from '../../platform/db/database.js';
import { prepareStatement } from '../../platform/db/prepared-statement.js';
import type { ShopEventType } from './events.js';
import {
  cartItems,
  idempotencyKeys,
  type OrderLineRow,
  type OrderRow,
  type OrderStatus,
  orderLines,
  orders,
  type PaymentRow,
  type PaymentStatus,
  paymentEvents,
  payments,
  refunds,
} from './tables.js';

/** First key of the shop's advisory locks (the todos module uses 0x70d0). */
const CHECKOUT_LOCK_NAMESPACE = 0x5e0b;

export type NewOrder = typeof orders.$inferInsert;

/** A jsonb parameter: JSON text, or SQL null for a missing value (not JSON null). */
const jsonOrNull = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
export type OrderPatch = Partial<Pick<OrderRow, 'status' | 'refundedCents' | 'paidAt' | 'closedAt' | 'closeReason' | 'stockReleasedAt'>>;

export interface OrderFilter {
  userId?: string;
  status?: OrderStatus;
  from?: Date;
  to?: Date;
}

export type ShopRepo = ReturnType<typeof queries> & {
  /**
   * Runs `work` in one transaction; every query inside must use the repo it is given. `tx` is
   * the same transaction, for a contract call of another module that takes the caller's one.
   */
  transaction<T>(work: (repo: ShopRepo, tx: Executor) => Promise<T>): Promise<T>;
};

export function createShopRepo(db: Executor): ShopRepo {
  return { ...queries(db), ...preparedOn(db), transaction: (work) => db.transaction((tx) => work(inTransaction(tx), tx)) };
}

/** The same queries on an open transaction (the builder-prepared ones of `preparedOn` belong to the root pool; `prepareStatement` ones run on either). */
function inTransaction(tx: Executor): ShopRepo {
  return { ...queries(tx), transaction: () => Promise.reject(new Error('shop: nested transactions are not used')) };
}

/**
 * The hot statements outside transactions (every PUT /cart/items and checkout runs them), prepared
 * once: building drizzle SQL per call showed in the checkout bench's profile, and PostgreSQL
 * parses and plans a named statement once per connection.
 */
function preparedOn(db: Executor) {
  const cartOf = db
    .select()
    .from(cartItems)
    .where(eq(cartItems.userId, sql.placeholder('userId')))
    .orderBy(asc(cartItems.addedAt), asc(cartItems.productId))
    .prepare('shop_cart_of');
  const upsertLine = db
    .insert(cartItems)
    .values({
      userId: sql.placeholder('userId'),
      productId: sql.placeholder('productId'),
      quantity: sql.placeholder('quantity'),
      addedAt: sql.placeholder('now'),
      updatedAt: sql.placeholder('now'),
    })
    .onConflictDoUpdate({
      target: [cartItems.userId, cartItems.productId],
      set: { quantity: sql`excluded.quantity`, updatedAt: sql`excluded.updated_at` },
    })
    .prepare('shop_upsert_cart_line');
  const paymentOf = db
    .insert(payments)
    .values({
      orderId: sql.placeholder('orderId'),
      provider: sql.placeholder('provider'),
      reference: sql.placeholder('reference'),
      status: sql.placeholder('status'),
      amountCents: sql.placeholder('amountCents'),
      currency: sql.placeholder('currency'),
      createdAt: sql.placeholder('createdAt'),
      updatedAt: sql.placeholder('updatedAt'),
    })
    .onConflictDoNothing()
    .prepare('shop_insert_payment');
  return {
    listCart: (userId: string) => cartOf.execute({ userId }),
    // Every checkout records its payment after the provider answered.
    async insertPayment(row: typeof payments.$inferInsert) {
      await paymentOf.execute(row);
    },
    async upsertCartItem(userId: string, productId: string, quantity: number, now: Date) {
      await upsertLine.execute({ userId, productId, quantity, now });
    },
  };
}

const p = sql.placeholder;

/**
 * Records a new key and, when it was new, takes the customer's checkout lock, in one round
 * trip (see claimKeyAndLock).
 */
const claimKeyStatement = prepareStatement(
  'shop_claim_key_and_lock',
  sql`
    with claimed as (
      insert into ${idempotencyKeys} (user_id, key, request_hash, order_id, status, created_at)
      values (${p('userId')}, ${p('key')}, ${p('requestHash')}, ${p('orderId')}, 'in_progress', ${p('createdAt')}::timestamptz)
      on conflict do nothing returning 1
    )
    select pg_advisory_xact_lock(${CHECKOUT_LOCK_NAMESPACE}, hashtext(${p('userId')}::text)) from claimed`,
);

/** The customer's unpaid orders still before their deadline, and the cart (see checkoutState). */
const checkoutStateStatement = prepareStatement(
  'shop_checkout_state',
  sql`
    select
      (select count(*) from ${orders} where user_id = ${p('userId')} and status = 'pending_payment' and expires_at > ${p('now')}::timestamptz)::int as pending,
      coalesce((select json_agg(json_build_object('productId', product_id, 'quantity', quantity) order by added_at, product_id)
                from ${cartItems} where user_id = ${p('userId')}), '[]'::json) as cart`,
);

/** The order, its lines, the key's answer and the cart cleanup, one statement (see placeOrder). */
const placeOrderStatement = prepareStatement(
  'shop_place_order',
  sql`
    with placed as (
      insert into ${orders} (id, user_id, status, currency, total_cents, refunded_cents, item_count, shipping_address, note, created_at, updated_at, expires_at, version)
      values (${p('id')}, ${p('userId')}, ${p('status')}, ${p('currency')}, ${p('totalCents')}, ${p('refundedCents')}, ${p('itemCount')},
              ${p('shippingAddress')}::jsonb, ${p('note')}, ${p('createdAt')}::timestamptz, ${p('updatedAt')}::timestamptz,
              ${p('expiresAt')}::timestamptz, ${p('version')})
      returning id
    ), placed_lines as (
      insert into ${orderLines} (order_id, product_id, sku, name, unit_price_cents, quantity, line_total_cents)
      select placed.id, l.* from placed,
        unnest(${p('productIds')}::uuid[], ${p('skus')}::text[], ${p('names')}::text[], ${p('unitPrices')}::bigint[],
               ${p('quantities')}::int[], ${p('lineTotals')}::bigint[]) as l
    ), finished as (
      update ${idempotencyKeys} set status = 'done', response_status = 201, response = ${p('response')}::jsonb
      where user_id = ${p('userId')} and key = ${p('key')} and status = 'in_progress'
      returning 1
    ), emptied as (
      delete from ${cartItems} c using unnest(${p('productIds')}::uuid[], ${p('quantities')}::int[]) as l(product_id, quantity)
      where c.user_id = ${p('userId')} and c.product_id = l.product_id and c.quantity = l.quantity
    )
    select (select count(*) from finished)::int as finished`,
);

function queries(db: Executor) {
  return {
    /** Writes an event to the outbox in this transaction (see platform/bus/outbox.ts). */
    enqueue: <K extends ShopEventType>(type: K, payload: EventPayloads[K]) => enqueueEvent(db, type, payload),
    /** Writes an admin's change to the audit trail of this transaction. */
    audit: (actor: AuditActor, at: Date, entries: AuditEntry[]) => recordAudit(db, actor, at, entries),

    // --- cart ---
    listCart: async (userId: string) =>
      db.select().from(cartItems).where(eq(cartItems.userId, userId)).orderBy(asc(cartItems.addedAt), asc(cartItems.productId)),

    async upsertCartItem(userId: string, productId: string, quantity: number, now: Date) {
      await db
        .insert(cartItems)
        .values({ userId, productId, quantity, addedAt: now, updatedAt: now })
        .onConflictDoUpdate({ target: [cartItems.userId, cartItems.productId], set: { quantity, updatedAt: now } });
    },

    async deleteCartItem(userId: string, productId: string) {
      const rows = await db
        .delete(cartItems)
        .where(and(eq(cartItems.userId, userId), eq(cartItems.productId, productId)))
        .returning({ productId: cartItems.productId });
      return rows.length > 0;
    },

    async clearCart(userId: string) {
      await db.delete(cartItems).where(eq(cartItems.userId, userId));
    },

    // --- idempotency keys ---
    /**
     * Records a new key and, when it was new, takes the customer's checkout lock, in one round
     * trip; false when the user already used the key. The lock (held until the transaction ends)
     * serialises one customer's checkouts, so counting their unpaid orders and inserting one is
     * atomic: a row lock cannot stop an insert, this can.
     */
    async claimKeyAndLock(row: { userId: string; key: string; requestHash: string; orderId: string; createdAt: Date }) {
      return rowsOf(await claimKeyStatement(db, { ...row, createdAt: row.createdAt.toISOString() })).length === 1;
    },

    async findKey(userId: string, key: string, forUpdate = false) {
      const query = db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
      const [row] = forUpdate ? await query.for('update') : await query;
      return row;
    },

    async completeKey(userId: string, key: string, responseStatus: number, response: unknown) {
      await db
        .update(idempotencyKeys)
        .set({ status: 'done', responseStatus, response })
        .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
    },

    async deleteKey(userId: string, key: string) {
      await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
    },

    /** Keys whose request died mid-way (crash, lost connection) and never completed. */
    staleKeys: (before: Date, limit: number) =>
      db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.status, 'in_progress'), lt(idempotencyKeys.createdAt, before)))
        .limit(limit),

    async pruneKeys(before: Date) {
      await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.status, 'done'), lt(idempotencyKeys.createdAt, before)));
    },

    // --- orders ---
    /**
     * What a checkout decides on, in one round trip: the customer's orders still waiting for
     * payment and not yet past their deadline (read after taking the checkout lock, so they
     * are all committed ones), and the cart in the order its lines were added.
     */
    async checkoutState(userId: string, now: Date) {
      const result = await checkoutStateStatement(db, { userId, now: now.toISOString() });
      const [row] = rowsOf<{ pending: number; cart: { productId: string; quantity: number }[] }>(result);
      return { pending: row?.pending ?? 0, cart: row?.cart ?? [] };
    },

    /**
     * Writes a new order with its lines, completes its idempotency key with the answer and takes
     * exactly the ordered lines out of the cart (a line changed meanwhile stays), in one
     * statement. False when the key was no longer in progress (the sweeper reclaimed it): the
     * caller must then not commit.
     */
    async placeOrder(order: OrderRow, lines: OrderLineRow[], key: string, response: unknown) {
      const column = <K extends keyof OrderLineRow>(k: K) => lines.map((l) => l[k]);
      const result = await placeOrderStatement(db, {
        ...order,
        shippingAddress: jsonOrNull(order.shippingAddress),
        createdAt: order.createdAt.toISOString(),
        updatedAt: order.updatedAt.toISOString(),
        expiresAt: order.expiresAt.toISOString(),
        productIds: column('productId'),
        skus: column('sku'),
        names: column('name'),
        unitPrices: column('unitPriceCents'),
        quantities: column('quantity'),
        lineTotals: column('lineTotalCents'),
        key,
        response: JSON.stringify(response),
      });
      return rowsOf<{ finished: number }>(result)[0]?.finished === 1;
    },

    /** With `forUpdate: 'skip-locked'`, an order locked by another transaction reads as missing. */
    async findOrder(id: string, options: { userId?: string; forUpdate?: boolean | 'skip-locked' } = {}) {
      const where = options.userId ? and(eq(orders.id, id), eq(orders.userId, options.userId)) : eq(orders.id, id);
      const query = db.select().from(orders).where(where);
      const [row] = options.forUpdate
        ? await query.for('update', options.forUpdate === 'skip-locked' ? { skipLocked: true } : undefined)
        : await query;
      return row;
    },

    linesOf: (orderIds: string[]) =>
      orderIds.length === 0
        ? Promise.resolve([] as OrderLineRow[])
        : db.select().from(orderLines).where(inArray(orderLines.orderId, orderIds)).orderBy(asc(orderLines.productId)),

    /** Newest first, keyset on (created_at, id). */
    listOrders(filter: OrderFilter, after: { createdAt: Date; id: string } | undefined, limit: number) {
      const where: SQL[] = [];
      if (filter.userId) where.push(eq(orders.userId, filter.userId));
      if (filter.status) where.push(eq(orders.status, filter.status));
      if (filter.from) where.push(gte(orders.createdAt, filter.from));
      if (filter.to) where.push(lt(orders.createdAt, filter.to));
      if (after) {
        where.push(or(lt(orders.createdAt, after.createdAt), and(eq(orders.createdAt, after.createdAt), lt(orders.id, after.id))) as SQL);
      }
      return db
        .select()
        .from(orders)
        .where(and(...where))
        .orderBy(desc(orders.createdAt), desc(orders.id))
        .limit(limit + 1);
    },

    async updateOrder(id: string, patch: OrderPatch, now: Date) {
      const [row] = await db
        .update(orders)
        .set({ ...patch, updatedAt: now, version: sql`${orders.version} + 1` })
        .where(eq(orders.id, id))
        .returning();
      return row as OrderRow;
    },

    /**
     * Unpaid orders past their deadline, keyset-paged on (expires_at, id) after `after`, so a pass
     * can walk them all in batches and visits each once even if one cannot be closed. Each is
     * re-checked under its row lock when closed.
     */
    dueForExpiry: (now: Date, after: { expiresAt: Date; id: string } | undefined, limit: number) =>
      db
        .select({ id: orders.id, expiresAt: orders.expiresAt })
        .from(orders)
        .where(
          and(
            eq(orders.status, 'pending_payment'),
            lte(orders.expiresAt, now),
            after && or(gt(orders.expiresAt, after.expiresAt), and(eq(orders.expiresAt, after.expiresAt), gt(orders.id, after.id))),
          ),
        )
        .orderBy(asc(orders.expiresAt), asc(orders.id))
        .limit(limit),

    /** Closed orders whose stock release was not confirmed (the process died in between). */
    unreleased: (limit: number) =>
      db
        .select({ id: orders.id })
        .from(orders)
        .where(and(inArray(orders.status, ['cancelled', 'expired']), isNull(orders.stockReleasedAt)))
        .limit(limit),

    async markStockReleased(id: string, now: Date) {
      await db
        .update(orders)
        .set({ stockReleasedAt: now })
        .where(and(eq(orders.id, id), isNull(orders.stockReleasedAt)));
    },

    // --- payments ---
    async insertPayment(row: typeof payments.$inferInsert) {
      await db.insert(payments).values(row).onConflictDoNothing();
    },

    async paymentsOf(orderIds: string[]): Promise<PaymentRow[]> {
      if (orderIds.length === 0) return [];
      return db.select().from(payments).where(inArray(payments.orderId, orderIds));
    },

    async paymentByReference(reference: string) {
      const [row] = await db.select().from(payments).where(eq(payments.reference, reference));
      return row;
    },

    async setPaymentStatus(orderId: string, status: PaymentStatus, now: Date) {
      await db.update(payments).set({ status, updatedAt: now }).where(eq(payments.orderId, orderId));
    },

    // --- refunds ---
    async insertRefund(row: typeof refunds.$inferInsert) {
      await db.insert(refunds).values(row);
    },

    /** The order's refund still waiting for the provider's answer, if any (at most one at a time). */
    async pendingRefund(orderId: string) {
      const [row] = await db
        .select()
        .from(refunds)
        .where(and(eq(refunds.orderId, orderId), eq(refunds.status, 'pending')))
        .limit(1);
      return row;
    },

    /** Settles a pending refund once: a late answer of a repeated call never overturns the first outcome. */
    async finishRefund(id: string, status: 'succeeded' | 'failed', providerRefundId: string | null) {
      await db
        .update(refunds)
        .set({ status, providerRefundId })
        .where(and(eq(refunds.id, id), eq(refunds.status, 'pending')));
    },

    /** Sum of the order's refunds in `statuses` (pending ones already bound what is left to refund). */
    async refundedTotal(orderId: string, statuses: ('pending' | 'succeeded')[]) {
      const [row] = await db
        .select({ total: sql<string>`coalesce(sum(${refunds.amountCents}), 0)` })
        .from(refunds)
        .where(and(eq(refunds.orderId, orderId), inArray(refunds.status, statuses)));
      return Number(row?.total ?? 0);
    },

    // --- webhook inbox ---
    /** Records a provider event; false when this event id was seen before. */
    async recordEvent(row: { provider: string; eventId: string; type: string; reference: string; payload: unknown; receivedAt: Date }) {
      const inserted = await db.insert(paymentEvents).values(row).onConflictDoNothing().returning({ id: paymentEvents.eventId });
      return inserted.length > 0;
    },

    /** Unprocessed events, oldest first; those that failed `maxAttempts` times wait for an operator. */
    pendingEvents: (limit: number, maxAttempts: number) =>
      db
        .select({ provider: paymentEvents.provider, eventId: paymentEvents.eventId, reference: paymentEvents.reference })
        .from(paymentEvents)
        .where(and(isNull(paymentEvents.processedAt), lt(paymentEvents.attempts, maxAttempts)))
        .orderBy(asc(paymentEvents.receivedAt))
        .limit(limit),

    async markEventProcessed(provider: string, eventId: string, now: Date) {
      await db
        .update(paymentEvents)
        .set({ processedAt: now })
        .where(and(eq(paymentEvents.provider, provider), eq(paymentEvents.eventId, eventId)));
    },

    async markEventFailed(provider: string, eventId: string, error: string) {
      await db
        .update(paymentEvents)
        .set({ attempts: sql`${paymentEvents.attempts} + 1`, lastError: error.slice(0, 500) })
        .where(and(eq(paymentEvents.provider, provider), eq(paymentEvents.eventId, eventId)));
    },

    // --- stats ---
    /** Per UTC day: orders placed, orders paid, and revenue (paid minus refunded) per currency. */
    async dailyStats(from: Date, to: Date) {
      const result = await db.execute(sql`
        select to_char(date_trunc('day', ${orders.createdAt} at time zone 'UTC'), 'YYYY-MM-DD') as day,
               ${orders.currency} as currency,
               count(*) as orders,
               count(${orders.paidAt}) as paid,
               coalesce(sum(${orders.totalCents}) filter (where ${orders.paidAt} is not null), 0) as revenue,
               coalesce(sum(${orders.refundedCents}) filter (where ${orders.paidAt} is not null), 0) as refunded
        from ${orders}
        where ${orders.createdAt} >= ${from} and ${orders.createdAt} < ${to}
        group by 1, 2
        order by 1, 2`);
      // Both drivers answer { rows }; counts and sums arrive as strings (bigint/numeric).
      return rowsOf<{ day: string; currency: string; orders: string; paid: string; revenue: string; refunded: string }>(result);
    },
  };
}
