/**
 * Tables of the shop module, in its own Postgres schema. Money is integer minor units
 * (cents) with an ISO 4217 currency, stored as bigint (price x quantity outgrows int4; see
 * money.ts for the bound) and read as a JS number; an order copies name, sku and unit price of each line,
 * so later catalog changes never alter what was bought.
 */
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const shopSchema = pgSchema('shop');

/** An amount in minor units: bigint in the database, a number in JS (bounded by MAX_AMOUNT_CENTS). */
const money = (name: string) => bigint(name, { mode: 'number' });

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const cartItems = shopSchema.table(
  'cart_items',
  {
    userId: uuid('user_id').notNull(),
    productId: uuid('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    addedAt: at('added_at').notNull(),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.productId] }), check('cart_items_quantity_positive', sql`${t.quantity} > 0`)],
);

export const ORDER_STATUSES = ['pending_payment', 'paid', 'fulfilled', 'shipped', 'delivered', 'cancelled', 'expired', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const orders = shopSchema.table(
  'orders',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    status: text('status').$type<OrderStatus>().notNull(),
    currency: text('currency').notNull(),
    totalCents: money('total_cents').notNull(),
    /** Refunds the provider confirmed (or that are in flight, see refunds.status). */
    refundedCents: money('refunded_cents').notNull().default(0),
    itemCount: integer('item_count').notNull(),
    shippingAddress: jsonb('shipping_address'),
    note: text('note'),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
    /** An unpaid order expires at this time and gives its stock back. */
    expiresAt: at('expires_at').notNull(),
    paidAt: at('paid_at'),
    closedAt: at('closed_at'),
    /** Why a pending order closed: customer, payment_canceled, expired (payment_failed on orders closed before declines became retryable). */
    closeReason: text('close_reason'),
    /** Set once the catalog confirmed the release; a cancelled order without it is retried. */
    stockReleasedAt: at('stock_released_at'),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    index('orders_user_created_idx').on(t.userId, t.createdAt, t.id),
    index('orders_created_idx').on(t.createdAt, t.id),
    index('orders_status_created_idx').on(t.status, t.createdAt, t.id),
    index('orders_pending_expiry_idx').on(t.expiresAt).where(sql`status = 'pending_payment'`),
    // The unpaid-orders cap counts one customer's unpaid orders on every checkout: without it that
    // count walked every unpaid order of every customer (orders_pending_expiry_idx).
    index('orders_user_pending_idx').on(t.userId, t.expiresAt).where(sql`status = 'pending_payment'`),
    index('orders_unreleased_idx').on(t.closedAt).where(sql`status in ('cancelled', 'expired') and stock_released_at is null`),
    index('orders_paid_at_idx').on(t.paidAt),
    check('orders_refund_bounded', sql`${t.refundedCents} >= 0 and ${t.refundedCents} <= ${t.totalCents}`),
  ],
);

export const orderLines = shopSchema.table(
  'order_lines',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    productId: uuid('product_id').notNull(),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    unitPriceCents: money('unit_price_cents').notNull(),
    quantity: integer('quantity').notNull(),
    lineTotalCents: money('line_total_cents').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.productId] })],
);

/**
 * Idempotency-Key records of POST /orders, per user. The order id is fixed when the key is
 * first seen, so every retry of the same checkout names the same order (and the same stock
 * reservation). `response` is what the first completed attempt answered.
 */
export const idempotencyKeys = shopSchema.table(
  'idempotency_keys',
  {
    userId: uuid('user_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    orderId: uuid('order_id').notNull(),
    status: text('status').$type<'in_progress' | 'done'>().notNull(),
    responseStatus: integer('response_status'),
    response: jsonb('response'),
    createdAt: at('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

/** `failed`: the last attempt was declined; the payment stays open for another attempt. */
export type PaymentStatus = 'requires_payment' | 'processing' | 'succeeded' | 'failed' | 'canceled';

/** The provider's payment of an order (a Stripe PaymentIntent, or a sandbox payment). */
export const payments = shopSchema.table('payments', {
  orderId: uuid('order_id')
    .primaryKey()
    .references(() => orders.id, { onDelete: 'cascade' }),
  provider: text('provider').notNull(),
  reference: text('reference').notNull().unique(),
  status: text('status').$type<PaymentStatus>().notNull(),
  amountCents: money('amount_cents').notNull(),
  currency: text('currency').notNull(),
  createdAt: at('created_at').notNull(),
  updatedAt: at('updated_at').notNull(),
});

/** Refunds asked of the provider. Pending ones already count against what may still be refunded. */
export const refunds = shopSchema.table(
  'refunds',
  {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    amountCents: money('amount_cents').notNull(),
    status: text('status').$type<'pending' | 'succeeded' | 'failed'>().notNull(),
    providerRefundId: text('provider_refund_id'),
    reason: text('reason'),
    createdAt: at('created_at').notNull(),
  },
  (t) => [index('refunds_order_idx').on(t.orderId)],
);

/**
 * The webhook inbox: every provider event id is recorded once, answered 2xx at once, and
 * applied by the payment worker (retried until it succeeds, also after a restart).
 */
export const paymentEvents = shopSchema.table(
  'payment_events',
  {
    provider: text('provider').notNull(),
    eventId: text('event_id').notNull(),
    type: text('type').notNull(),
    reference: text('reference').notNull(),
    payload: jsonb('payload').notNull(),
    receivedAt: at('received_at').notNull(),
    processedAt: at('processed_at'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [
    primaryKey({ columns: [t.provider, t.eventId] }),
    index('payment_events_unprocessed_idx').on(t.receivedAt).where(sql`processed_at is null`),
  ],
);

/** The sandbox gateway's own ledger: what a real provider would keep on its side. */
export const sandboxPayments = shopSchema.table('sandbox_payments', {
  reference: text('reference').primaryKey(),
  orderId: uuid('order_id').notNull().unique(),
  amountCents: money('amount_cents').notNull(),
  currency: text('currency').notNull(),
  status: text('status').$type<PaymentStatus>().notNull(),
  refundedCents: money('refunded_cents').notNull().default(0),
  createdAt: at('created_at').notNull(),
  updatedAt: at('updated_at').notNull(),
});

/**
 * The sandbox's refunds by idempotency key: a repeated refund call answers what the first one
 * did instead of refunding again, as a real provider does.
 */
export const sandboxRefunds = shopSchema.table('sandbox_refunds', {
  idempotencyKey: text('idempotency_key').primaryKey(),
  reference: text('reference')
    .notNull()
    .references(() => sandboxPayments.reference),
  amountCents: money('amount_cents').notNull(),
  refundId: text('refund_id').notNull(),
  createdAt: at('created_at').notNull(),
});

export type OrderRow = typeof orders.$inferSelect;
export type OrderLineRow = typeof orderLines.$inferSelect;
export type PaymentRow = typeof payments.$inferSelect;
