/** The JSON shapes the shop answers with, made from rows in one place. */
import type { OrderLineRow, OrderRow, PaymentRow } from './tables.js';

export interface OrderLineWire {
  productId: string;
  sku: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
}

export interface PaymentWire {
  provider: string;
  reference: string;
  status: string;
  /** Only in answers to the order's owner right after creating or asking for the payment. */
  clientSecret?: string;
}

export interface OrderWire {
  id: string;
  userId: string;
  status: string;
  currency: string;
  totalCents: number;
  refundedCents: number;
  itemCount: number;
  lines: OrderLineWire[];
  shippingAddress: unknown;
  note: string | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  paidAt: string | null;
  closedAt: string | null;
  closeReason: string | null;
  payment: PaymentWire | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toOrderWire(order: OrderRow, lines: OrderLineRow[], payment: PaymentRow | undefined): OrderWire {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    currency: order.currency,
    totalCents: order.totalCents,
    refundedCents: order.refundedCents,
    itemCount: order.itemCount,
    lines: lines.map((l) => ({
      productId: l.productId,
      sku: l.sku,
      name: l.name,
      unitPriceCents: l.unitPriceCents,
      quantity: l.quantity,
      lineTotalCents: l.lineTotalCents,
    })),
    shippingAddress: order.shippingAddress ?? null,
    note: order.note,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    expiresAt: order.expiresAt.toISOString(),
    paidAt: iso(order.paidAt),
    closedAt: iso(order.closedAt),
    closeReason: order.closeReason,
    payment: payment ? { provider: payment.provider, reference: payment.reference, status: payment.status } : null,
  };
}
