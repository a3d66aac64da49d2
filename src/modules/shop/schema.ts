/** Wire shapes of the shop API. They drive validation, serialization and the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import { PageQuery } from '../../platform/http/pagination.js';
import { MAX_AMOUNT_CENTS } from './money.js';
import { FULFILMENT_STATUSES } from './order-states.js';
import { ORDER_STATUSES } from './tables.js';

const closed = { additionalProperties: false } as const;
const Id = Type.String({ format: 'uuid' });
const Instant = Type.String({ format: 'date-time' });
const Cents = Type.Integer({ minimum: 0, description: 'Minor units of the currency (cents)' });
/** An amount of an order: every line, total and refund is at most MAX_AMOUNT_CENTS (10^12). */
const OrderCents = Type.Integer({
  minimum: 0,
  maximum: MAX_AMOUNT_CENTS,
  description: 'Minor units of the currency (cents); at most 10^12 (1000000000000)',
});
const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableInstant = Type.Union([Instant, Type.Null()]);

export const ProductParams = Type.Object({ productId: Id }, closed);
export const OrderParams = Type.Object({ id: Id }, closed);
export const PaymentRefParams = Type.Object({ ref: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_]+$' }) }, closed);

export const PutCartItemBody = Type.Object(
  {
    quantity: Type.Integer({
      minimum: 1,
      maximum: 1000,
      description: 'Units of the product. Above SHOP_MAX_LINE_QUANTITY (default 10) the answer is 422 LINE_QUANTITY_LIMIT_EXCEEDED.',
    }),
  },
  closed,
);

export const CartLine = Type.Object({
  productId: Id,
  sku: NullableString,
  name: NullableString,
  unitPriceCents: Type.Union([Cents, Type.Null()]),
  currency: NullableString,
  quantity: Type.Integer(),
  lineTotalCents: Cents,
  available: Type.Integer({ description: 'Units in stock now; the cart does not hold stock' }),
  problem: Type.Union([Type.Literal('unavailable'), Type.Literal('insufficient_stock'), Type.Null()]),
});

export const Cart = Type.Object(
  {
    items: Type.Array(CartLine),
    currency: NullableString,
    totalCents: Type.Integer({
      minimum: 0,
      description:
        'Minor units, at today’s prices. Putting a line that would take a line or this total above 10^12 is 422 AMOUNT_TOO_LARGE',
    }),
    itemCount: Type.Integer(),
    orderable: Type.Boolean({ description: 'Every line can be ordered as it is' }),
  },
  { $id: 'Cart' },
);

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S' });

export const ShippingAddress = Type.Object(
  {
    name: Text(200),
    line1: Text(200),
    line2: Type.Optional(Type.String({ maxLength: 200 })),
    city: Text(100),
    postalCode: Text(20),
    country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2, e.g. PL' }),
  },
  closed,
);

export const CheckoutBody = Type.Object(
  {
    shippingAddress: Type.Optional(ShippingAddress),
    note: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  closed,
);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7E]+$',
      description: 'Required. A unique value per order attempt (e.g. a UUID); retries send the same one. Kept IDEMPOTENCY_KEY_TTL.',
    }),
  ),
});

export const Payment = Type.Object(
  {
    provider: Type.String({ description: 'stripe or sandbox' }),
    reference: Type.String({ description: 'The provider’s payment id (a Stripe PaymentIntent id)' }),
    status: Type.String({
      description: 'requires_payment, processing, succeeded, failed (the last attempt was declined: pay again) or canceled',
    }),
    clientSecret: Type.Optional(
      Type.String({ description: 'For the customer’s browser to confirm the payment (Stripe.js); never log it' }),
    ),
  },
  { $id: 'Payment' },
);

export const Order = Type.Object(
  {
    id: Id,
    userId: Id,
    status: Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s))),
    currency: Type.String(),
    totalCents: OrderCents,
    refundedCents: OrderCents,
    itemCount: Type.Integer(),
    lines: Type.Array(
      Type.Object({
        productId: Id,
        sku: Type.String(),
        name: Type.String(),
        unitPriceCents: OrderCents,
        quantity: Type.Integer(),
        lineTotalCents: OrderCents,
      }),
    ),
    shippingAddress: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
    note: NullableString,
    createdAt: Instant,
    updatedAt: Instant,
    expiresAt: Type.String({ format: 'date-time', description: 'An unpaid order expires then and its stock is released' }),
    paidAt: NullableInstant,
    closedAt: NullableInstant,
    closeReason: NullableString,
    payment: Type.Union([Type.Ref('Payment'), Type.Null()]),
  },
  { $id: 'Order' },
);

export const OrderPage = Type.Object({ items: Type.Array(Type.Ref('Order')), nextCursor: NullableString });

export const OwnOrdersQuery = Type.Object({ ...PageQuery }, closed);

export const AdminOrdersQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s)))),
    userId: Type.Optional(Id),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Created before' })),
  },
  closed,
);

export const FulfilmentBody = Type.Object(
  {
    status: Type.Union(
      FULFILMENT_STATUSES.map((s) => Type.Literal(s)),
      { description: 'paid → fulfilled → shipped → delivered' },
    ),
  },
  closed,
);

export const RefundBody = Type.Object(
  {
    amountCents: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_AMOUNT_CENTS, description: 'Minor units. Default: everything not yet refunded' }),
    ),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  closed,
);

export const StatsQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Default: 30 days before `to`' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Default: the end of today (UTC)' })),
    lowStockThreshold: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  closed,
);

export const Stats = Type.Object({
  from: Instant,
  to: Instant,
  days: Type.Array(
    Type.Object({
      day: Type.String({ description: 'YYYY-MM-DD (UTC)' }),
      currency: Type.String(),
      orders: Type.Integer({ description: 'Orders placed that day' }),
      paidOrders: Type.Integer({ description: 'Of those, paid' }),
      revenueCents: Type.Integer({ description: 'Paid totals minus refunds' }),
      refundedCents: Cents,
    }),
  ),
  lowStockThreshold: Type.Integer(),
  lowStock: Type.Array(Type.Object({ productId: Id, sku: Type.String(), name: Type.String(), stock: Type.Integer() })),
});

export const WebhookAck = Type.Object({ received: Type.Boolean(), duplicate: Type.Boolean() });
