/** The order state machine: which status may follow which. Anything else is a 422. */
import type { OrderStatus } from './tables.js';

const NEXT: Record<OrderStatus, readonly OrderStatus[]> = {
  pending_payment: ['paid', 'cancelled', 'expired'],
  paid: ['fulfilled', 'refunded'],
  fulfilled: ['shipped', 'refunded'],
  shipped: ['delivered', 'refunded'],
  delivered: ['refunded'],
  // A partly refunded order keeps its status; only a full refund moves it to `refunded`.
  refunded: [],
  cancelled: [],
  expired: [],
};

export const canMove = (from: OrderStatus, to: OrderStatus) => NEXT[from].includes(to);

/** Statuses in which money was taken and may be (partly) given back. */
export const REFUNDABLE: readonly OrderStatus[] = ['paid', 'fulfilled', 'shipped', 'delivered'];

/** Fulfilment steps an admin sets with PATCH /admin/orders/:id. */
export const FULFILMENT_STATUSES = ['fulfilled', 'shipped', 'delivered'] as const;
