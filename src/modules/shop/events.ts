/**
 * Events the shop publishes through the transactional outbox: each exists exactly when the
 * order change it reports committed. Payloads carry the order as the API shows it.
 */
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
