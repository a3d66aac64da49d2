/** Admin routes of the shop: every order, fulfilment, refunds and statistics. */

import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { actorOf } from '../../platform/audit/actor.js';
import { problem } from '../../platform/http/route-helpers.js';
import type { OrderLifecycle } from './order-lifecycle.js';
import type { OrderQueries } from './order-queries.js';
import * as S from './schema.js';

export interface ShopAdminRoutesOptions {
  lifecycle: OrderLifecycle;
  orders: OrderQueries;
}

const admin = { access: 'admin' as const };

export const shopAdminRoutes: FastifyPluginAsyncTypebox<ShopAdminRoutesOptions> = async (app, { lifecycle, orders }) => {
  const tags = ['admin: orders'];

  app.get(
    '/admin/orders',
    {
      config: admin,
      schema: {
        tags,
        summary: 'All orders, newest first, filtered by status, user and creation time',
        querystring: S.AdminOrdersQuery,
        response: { 200: S.OrderPage },
      },
    },
    (request) => {
      const { status, userId, from, to, ...page } = request.query;
      return orders.list({ status, userId, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined }, page);
    },
  );

  app.get(
    '/admin/orders/:id',
    {
      config: admin,
      schema: { tags, summary: 'Any order', params: S.OrderParams, response: { 200: Type.Ref('Order'), 404: problem('ORDER_NOT_FOUND') } },
    },
    (request) => orders.get(request.params.id),
  );

  app.patch(
    '/admin/orders/:id',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Move a paid order along fulfilment',
        params: S.OrderParams,
        body: S.FulfilmentBody,
        response: {
          200: Type.Ref('Order'),
          404: problem('ORDER_NOT_FOUND'),
          422: problem('INVALID_STATUS_TRANSITION (`orderStatus` names the current status)'),
        },
      },
    },
    (request) => lifecycle.setFulfilment(request.params.id, request.body.status, actorOf(request)),
  );

  app.post(
    '/admin/orders/:id/refund',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Refund a paid order, fully or partly, through the payment provider',
        description:
          'A full refund moves the order to `refunded`; a partial one keeps its status and raises `refundedCents`. ' +
          'When the provider does not answer (502), the refund stays pending: repeat the request (same amount, or none) and it is completed with the same idempotency key, never refunded twice.',
        params: S.OrderParams,
        body: S.RefundBody,
        response: {
          200: Type.Ref('Order'),
          400: problem('VALIDATION_FAILED: e.g. amountCents above 10^12, or a NUL character in reason'),
          404: problem('ORDER_NOT_FOUND'),
          409: problem('REFUND_PENDING: an earlier refund of another amount still waits for the provider'),
          422: problem(
            'INVALID_STATUS_TRANSITION (not paid; `orderStatus` names the current status), REFUND_EXCEEDS_PAID or REFUND_REJECTED (the provider said no)',
          ),
          502: problem('PAYMENT_PROVIDER_UNAVAILABLE: nothing was refunded'),
        },
      },
    },
    (request) => lifecycle.refund(request.params.id, request.body?.amountCents, request.body?.reason ?? null, actorOf(request)),
  );

  app.get(
    '/admin/stats',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Orders and revenue per day, and products low on stock',
        querystring: S.StatsQuery,
        response: { 200: S.Stats },
      },
    },
    (request) => orders.stats(request.query, request.query.lowStockThreshold),
  );
};
