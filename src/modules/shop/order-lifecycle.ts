/**
 * Every change of an order's status after checkout: payment outcomes, cancellation, expiry,
 * fulfilment and refunds. Each runs in one transaction that locks the order row and writes the
 * order event to the outbox; calls to the catalog (stock) and to the payment provider happen
 * after that commit, and are safe to repeat, so a crash in between is finished by the sweeper.
 */

import type { Logger } from 'pino';
import { type AuditActor, SYSTEM_ACTOR } from '../../platform/audit/actor.js';
import type { OutboxRelay } from '../../platform/bus/outbox.js';
import type { Clock } from '../../platform/clock.js';
import { AppError } from '../../platform/http/errors.js';
import { newId } from '../../platform/ids.js';
import type { StockContract } from '../catalog/index.js';
import { InvalidTransition, OrderNotFound, PaymentProviderFailed, RefundPending, RefundTooLarge } from './errors.js';
import { type OrderEvent, ShopEvents, type ShopEventType } from './events.js';
import { canMove, REFUNDABLE } from './order-states.js';
import { toOrderWireOne } from './order-views.js';
import type { PaymentGateway, ProviderPayment } from './payments/gateway.js';
import type { ShopRepo } from './repo.js';
import type { OrderRow, OrderStatus } from './tables.js';
import type { OrderWire } from './wire.js';

/** Why an unpaid order closed. A declined attempt is not one: the customer may pay again. */
export type CloseReason = 'customer' | 'payment_canceled' | 'expired';

export type OrderLifecycle = ReturnType<typeof createOrderLifecycle>;

export function createOrderLifecycle(deps: {
  repo: ShopRepo;
  stock: StockContract;
  gateway: PaymentGateway;
  relay: OutboxRelay;
  clock: Clock;
  log: Logger;
}) {
  const { repo, stock, gateway, relay, clock, log } = deps;

  async function emit(tx: ShopRepo, type: ShopEventType, order: OrderRow, extra: Omit<OrderEvent, 'order'> = {}) {
    const event: OrderEvent = { order: await toOrderWireOne(tx, order), ...extra };
    await tx.enqueue(type, event);
  }

  /** Gives the stock of a closed order back; idempotent, so the sweeper may call it again. */
  async function releaseStock(orderId: string) {
    await stock.releaseStock(orderId);
    await repo.markStockReleased(orderId, clock.now());
  }

  /**
   * Closes an unpaid order. Returns the order, or undefined when it was not pending (system
   * callers). With `skipLocked` (the sweeper) an order that another transaction holds is left
   * for the next pass instead of waited for: another instance may be closing it right now.
   */
  async function closeUnpaid(orderId: string, reason: CloseReason, options: { userId?: string; skipLocked?: boolean } = {}) {
    const result = await repo.transaction(async (tx) => {
      const order = await tx.findOrder(orderId, { userId: options.userId, forUpdate: options.skipLocked ? 'skip-locked' : true });
      if (!order && options.skipLocked) return undefined;
      if (!order) throw OrderNotFound(`No order ${orderId}`);
      const to: OrderStatus = reason === 'expired' ? 'expired' : 'cancelled';
      if (!canMove(order.status, to)) {
        if (options.userId)
          throw InvalidTransition(`An order in status ${order.status} cannot be cancelled`, { orderStatus: order.status });
        return undefined;
      }
      const now = clock.now();
      const closed = await tx.updateOrder(orderId, { status: to, closedAt: now, closeReason: reason }, now);
      await emit(tx, to === 'expired' ? ShopEvents.orderExpired : ShopEvents.orderCancelled, closed, { reason });
      return closed;
    });
    if (!result) return undefined;
    relay.kick();
    await releaseStock(orderId).catch((err) => log.warn({ err, orderId }, 'stock release failed; the sweeper retries'));
    if (reason !== 'payment_canceled') {
      const [payment] = await repo.paymentsOf([orderId]);
      // So the payment cannot succeed after the order closed. If it already did, the webhook
      // of that success refunds it (see applyProviderPayment).
      if (payment) await gateway.cancelPayment(payment.reference).catch((err) => log.warn({ err, orderId }, 'payment cancel failed'));
    }
    return result;
  }

  /**
   * Refunds through the provider. A pending refund row is written under the order's lock first,
   * so concurrent refunds never exceed the total. When the provider's answer is lost (timeout,
   * 5xx) the row stays pending and the next refund request repeats that same refund with the
   * same idempotency key: the provider refunds it at most once.
   */
  async function refund(
    orderId: string,
    amountCents: number | undefined,
    reason: string | null,
    actor: AuditActor,
    options: { late?: boolean } = {},
  ) {
    const { refundId, amount, reference } = await repo.transaction(async (tx) => {
      const order = await tx.findOrder(orderId, { forUpdate: true });
      if (!order) throw OrderNotFound(`No order ${orderId}`);
      const [payment] = await tx.paymentsOf([orderId]);
      const pending = await tx.pendingRefund(orderId);
      if (pending && payment) {
        if (amountCents !== undefined && amountCents !== pending.amountCents) {
          throw RefundPending(`A refund of ${pending.amountCents} still waits for the provider; repeat it first`, {
            pendingAmountCents: pending.amountCents,
          });
        }
        return { refundId: pending.id, amount: pending.amountCents, reference: payment.reference };
      }
      if (!options.late && !REFUNDABLE.includes(order.status)) {
        throw InvalidTransition(`An order in status ${order.status} cannot be refunded`, { orderStatus: order.status });
      }
      if (!payment) throw InvalidTransition('The order has no payment to refund', { orderStatus: order.status });
      const remaining = order.totalCents - (await tx.refundedTotal(orderId, ['pending', 'succeeded']));
      const amount = amountCents ?? remaining;
      if (amount < 1 || amount > remaining) {
        throw RefundTooLarge(`At most ${remaining} can still be refunded`, { refundableCents: remaining });
      }
      const refundId = newId();
      const now = clock.now();
      await tx.insertRefund({ id: refundId, orderId, amountCents: amount, status: 'pending', reason, createdAt: now });
      // An admin's refund; a late one follows a provider's event and is the system's.
      if (!options.late) {
        await tx.audit(actor, now, [
          {
            action: 'shop.order.refund_requested',
            target: { type: 'order', id: orderId },
            after: { refundId, amountCents: amount, reason },
          },
        ]);
      }
      return { refundId, amount, reference: payment.reference };
    });
    let result: { refundId: string; succeeded: boolean };
    try {
      result = await gateway.refund({ reference, amountCents: amount, idempotencyKey: `refund-${refundId}` });
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        // The provider answered no: nothing was refunded, the amount is free again.
        await repo.finishRefund(refundId, 'failed', null);
        throw err;
      }
      log.warn({ err, orderId, refundId }, 'refund outcome unknown; it stays pending until repeated');
      throw PaymentProviderFailed('The provider did not confirm the refund; repeat the request to complete it (it will not refund twice)', {
        pendingAmountCents: amount,
      });
    }
    await repo.finishRefund(refundId, 'succeeded', result.refundId);
    await applyRefundedTotal(orderId, await repo.refundedTotal(orderId, ['succeeded']));
    return toOrderWireOne(repo, (await repo.findOrder(orderId)) as OrderRow);
  }

  /** Raises the refunded amount to what the provider reports (never lowers it: events may come out of order). */
  async function applyRefundedTotal(orderId: string, refundedCents: number) {
    const changed = await repo.transaction(async (tx) => {
      const order = await tx.findOrder(orderId, { forUpdate: true });
      if (!order || refundedCents <= order.refundedCents) return undefined;
      const total = Math.min(refundedCents, order.totalCents);
      const status = total === order.totalCents && REFUNDABLE.includes(order.status) ? 'refunded' : order.status;
      const now = clock.now();
      const updated = await tx.updateOrder(orderId, { refundedCents: total, status }, now);
      await emit(tx, ShopEvents.orderRefunded, updated, { refundedCents: total });
      return updated;
    });
    if (changed) relay.kick();
    return changed;
  }

  /** Makes the order agree with the provider's current view of its payment. */
  async function applyProviderPayment(orderId: string, payment: ProviderPayment) {
    await repo.setPaymentStatus(orderId, payment.status, clock.now());
    if (payment.status === 'succeeded') {
      const outcome = await repo.transaction(async (tx) => {
        const order = await tx.findOrder(orderId, { forUpdate: true });
        if (!order) return 'unknown';
        if (payment.amountCents !== order.totalCents || payment.currency !== order.currency) {
          log.error({ orderId, payment: { amount: payment.amountCents, currency: payment.currency } }, 'payment does not match the order');
          return 'mismatch';
        }
        if (order.status === 'cancelled' || order.status === 'expired') return 'late';
        if (order.status !== 'pending_payment') return 'already';
        const now = clock.now();
        const paid = await tx.updateOrder(orderId, { status: 'paid', paidAt: now }, now);
        await emit(tx, ShopEvents.orderPaid, paid);
        return 'paid';
      });
      if (outcome === 'paid') relay.kick();
      if (outcome === 'late' && payment.refundedCents === 0) {
        // Paid after the order closed and its stock went back: give the money back.
        log.warn({ orderId }, 'payment succeeded after the order closed; refunding it');
        await refund(orderId, undefined, 'paid after the order closed', SYSTEM_ACTOR, { late: true });
      }
      if (payment.refundedCents > 0) await applyRefundedTotal(orderId, payment.refundedCents);
      return;
    }
    // A declined attempt ('failed') leaves the payment open: the order keeps its stock until it is
    // paid, cancelled or expires, and the customer may try again (another card) with the same payment.
    if (payment.status === 'canceled') await closeUnpaid(orderId, 'payment_canceled');
  }

  return {
    closeUnpaid,
    releaseStock,
    refund,
    applyProviderPayment,

    async cancelByCustomer(userId: string, orderId: string): Promise<OrderWire> {
      await closeUnpaid(orderId, 'customer', { userId });
      const order = await repo.findOrder(orderId);
      return toOrderWireOne(repo, order as OrderRow);
    },

    /** Fulfilment steps by an admin: paid → fulfilled → shipped → delivered. */
    async setFulfilment(orderId: string, to: OrderStatus, actor: AuditActor): Promise<OrderWire> {
      const updated = await repo.transaction(async (tx) => {
        const order = await tx.findOrder(orderId, { forUpdate: true });
        if (!order) throw OrderNotFound(`No order ${orderId}`);
        if (order.status === to) return order;
        if (!canMove(order.status, to)) {
          throw InvalidTransition(`An order in status ${order.status} cannot become ${to}`, { orderStatus: order.status });
        }
        const now = clock.now();
        const changed = await tx.updateOrder(orderId, { status: to }, now);
        await tx.audit(actor, now, [
          {
            action: 'shop.order.status_changed',
            target: { type: 'order', id: orderId },
            before: { status: order.status },
            after: { status: to },
          },
        ]);
        await emit(tx, ShopEvents.orderStatusChanged, changed);
        return changed;
      });
      relay.kick();
      return toOrderWireOne(repo, updated);
    },
  };
}
