/**
 * Events the shop publishes through the transactional outbox: each exists exactly when the
 * order change it reports committed. Payloads carry the order as the API shows it.
 */
import { Type } from '@fastify/type-provider-typebox';
import type { OrderWire } from './wire.js';

export const ShopEvents = {
  orderCreated: 'order.created',
  orderPaid: 'order.paid',
  /** Closed before payment: by the customer, a failed or canceled payment (`reason`). */
  orderCancelled: 'order.cancelled',
  /** Closed before payment because ORDER_PAYMENT_TIMEOUT passed. */
  orderExpired: 'order.expired',
  orderRefunded: 'order.refunded',
  /** Fulfilment progress set by an admin: fulfilled, shipped, delivered. */
  orderStatusChanged: 'order.status_changed',
} as const;

export interface OrderEvent {
  order: OrderWire;
  reason?: string;
  refundedCents?: number;
}

/**
 * The order as a subscriber may rely on it: its id, owner and status are checked; the rest of
 * the API's order shape (`Order` in schema.ts) travels along unchecked.
 */
const OrderEventSchema = Type.Object({
  order: Type.Object(
    { id: Type.String({ format: 'uuid' }), userId: Type.String({ format: 'uuid' }), status: Type.String() },
    { additionalProperties: true },
  ),
  reason: Type.Optional(Type.String()),
  refundedCents: Type.Optional(Type.Integer()),
});

/** Event type -> payload schema: what consumers check each payload against (merged in src/events.ts). */
export const ShopEventMap = {
  [ShopEvents.orderCreated]: OrderEventSchema,
  [ShopEvents.orderPaid]: OrderEventSchema,
  [ShopEvents.orderCancelled]: OrderEventSchema,
  [ShopEvents.orderExpired]: OrderEventSchema,
  [ShopEvents.orderRefunded]: OrderEventSchema,
  [ShopEvents.orderStatusChanged]: OrderEventSchema,
};

/** The name of an event this module publishes. */
export type ShopEventType = (typeof ShopEvents)[keyof typeof ShopEvents];

declare module '../../platform/bus/typed-events.js' {
  interface EventPayloads {
    'order.created': OrderEvent;
    'order.paid': OrderEvent;
    'order.cancelled': OrderEvent;
    'order.expired': OrderEvent;
    'order.refunded': OrderEvent;
    'order.status_changed': OrderEvent;
  }
}
