/** HTTP routes of the shop: the caller's cart and orders, and the payment of an order. */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { caller } from '../../platform/http/access.js';
import { problem } from '../../platform/http/route-helpers.js';
import type { CartService } from './cart-service.js';
import type { CheckoutService } from './checkout-service.js';
import { IdempotencyKeyMissing } from './errors.js';
import type { OrderLifecycle } from './order-lifecycle.js';
import type { OrderQueries } from './order-queries.js';
import type { PaymentService } from './payment-service.js';
import * as S from './schema.js';

export interface ShopRoutesOptions {
  cart: CartService;
  checkout: CheckoutService;
  lifecycle: OrderLifecycle;
  orders: OrderQueries;
  payments: PaymentService;
}

const user = { access: 'user' as const };

export const shopRoutes: FastifyPluginAsyncTypebox<ShopRoutesOptions> = async (app, options) => {
  const { cart, checkout, lifecycle, orders, payments } = options;
  const base = app.prefix;
  const cartTags = ['cart'];
  const orderTags = ['orders'];

  // --- cart ---
  app.get(
    '/cart',
    { config: user, schema: { tags: cartTags, summary: 'The caller’s cart, priced now', response: { 200: Type.Ref('Cart') } } },
    (request) => cart.view(caller(request).id),
  );

  app.put(
    '/cart/items/:productId',
    {
      config: user,
      schema: {
        tags: cartTags,
        summary: 'Set the quantity of a product in the cart',
        description:
          'The product must be active and the quantity in stock now (the cart does not hold stock). One currency per cart. At most SHOP_MAX_LINE_QUANTITY units (default 10).',
        params: S.ProductParams,
        body: S.PutCartItemBody,
        response: {
          200: Type.Ref('Cart'),
          422: problem(
            'PRODUCT_UNAVAILABLE, OUT_OF_STOCK (with `available`), CURRENCY_MISMATCH, CART_LIMIT_REACHED, LINE_QUANTITY_LIMIT_EXCEEDED (with `limit`) or AMOUNT_TOO_LARGE (a line or the cart total above 10^12 minor units)',
          ),
        },
      },
    },
    (request) => cart.putItem(caller(request).id, request.params.productId, request.body.quantity),
  );

  app.delete(
    '/cart/items/:productId',
    {
      config: user,
      schema: {
        tags: cartTags,
        summary: 'Remove a product from the cart',
        params: S.ProductParams,
        response: { 200: Type.Ref('Cart'), 404: problem('CART_ITEM_NOT_FOUND') },
      },
    },
    (request) => cart.removeItem(caller(request).id, request.params.productId),
  );

  app.delete(
    '/cart',
    { config: user, schema: { tags: cartTags, summary: 'Empty the cart', response: { 204: Type.Null() } } },
    async (request, reply) => {
      await cart.clear(caller(request).id);
      return reply.code(204).send(null);
    },
  );

  // --- orders ---
  app.post(
    '/orders',
    {
      config: user,
      schema: {
        tags: orderTags,
        summary: 'Place an order from the cart (needs Idempotency-Key)',
        description:
          'Creates the order from the whole cart, reserves its stock (never oversells) and removes the ordered lines from the cart, then starts the payment: `payment.clientSecret` is for the browser. The same Idempotency-Key with the same body replays the first answer (header `Idempotent-Replayed: true`); with another body it is a 422. Unpaid orders expire after ORDER_PAYMENT_TIMEOUT.',
        headers: S.IdempotencyHeaders,
        body: S.CheckoutBody,
        response: {
          201: Type.Ref('Order'),
          400: problem('IDEMPOTENCY_KEY_REQUIRED or VALIDATION_FAILED'),
          409: problem('IDEMPOTENCY_KEY_IN_PROGRESS: the first request with this key is still running'),
          422: problem(
            'CART_EMPTY, OUT_OF_STOCK, PRODUCT_UNAVAILABLE, CURRENCY_MISMATCH, IDEMPOTENCY_KEY_REUSED, TOO_MANY_PENDING_ORDERS (SHOP_MAX_PENDING_ORDERS unpaid orders already), LINE_QUANTITY_LIMIT_EXCEEDED or AMOUNT_TOO_LARGE (a line or the total above 10^12 minor units)',
          ),
        },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      if (!key) throw IdempotencyKeyMissing('Send an Idempotency-Key header (e.g. a new UUID per order attempt)');
      const { status, order, replayed } = await checkout.placeOrder(caller(request).id, key, request.body ?? {});
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply
        .code(status as 201)
        .header('location', `${base}/orders/${order.id}`)
        .send(order);
    },
  );

  app.get(
    '/orders',
    {
      config: user,
      schema: {
        tags: orderTags,
        summary: 'The caller’s orders, newest first',
        querystring: S.OwnOrdersQuery,
        response: { 200: S.OrderPage },
      },
    },
    (request) => orders.list({ userId: caller(request).id }, request.query),
  );

  app.get(
    '/orders/:id',
    {
      config: user,
      schema: {
        tags: orderTags,
        summary: 'One of the caller’s orders',
        params: S.OrderParams,
        response: { 200: Type.Ref('Order'), 404: problem('No such order of the caller') },
      },
    },
    (request) => orders.get(request.params.id, caller(request).id),
  );

  app.post(
    '/orders/:id/cancel',
    {
      config: user,
      schema: {
        tags: orderTags,
        summary: 'Cancel an unpaid order (its stock is released)',
        params: S.OrderParams,
        response: {
          200: Type.Ref('Order'),
          404: problem('No such order of the caller'),
          422: problem('INVALID_STATUS_TRANSITION: already paid or closed (`orderStatus` names the current status)'),
        },
      },
    },
    (request) => lifecycle.cancelByCustomer(caller(request).id, request.params.id),
  );

  app.post(
    '/orders/:id/payment',
    {
      config: user,
      schema: {
        tags: orderTags,
        summary: 'The payment of an unpaid order, started if needed (with the client secret)',
        params: S.OrderParams,
        response: {
          200: Type.Ref('Payment'),
          404: problem('No such order of the caller'),
          422: problem('PAYMENT_NOT_PENDING: the order takes no payment any more (`orderStatus` names its status)'),
          502: problem('PAYMENT_PROVIDER_UNAVAILABLE: retry'),
        },
      },
    },
    (request) => payments.ensurePayment(request.params.id, caller(request).id),
  );
};
