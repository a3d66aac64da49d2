/**
 * Payments of orders: creating the provider's payment for an order, and the webhook inbox.
 *
 * A webhook is verified on its raw body, recorded once by event id, and answered at once; the
 * worker then applies it. It never trusts the event's own status: it asks the provider for the
 * payment's current state and makes the order agree with that, so repeated, late and
 * out-of-order events all end in the same place. A failed application stays in the inbox and
 * is retried (also after a restart).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.js';
import { AppError } from '../../platform/http/errors.js';
import { OrderNotFound, PaymentNotFound, PaymentNotPending, PaymentProviderFailed } from './errors.js';
import type { OrderLifecycle } from './order-lifecycle.js';
import type { PaymentGateway, ProviderPayment } from './payments/gateway.js';
import type { ShopRepo } from './repo.js';
import type { PaymentWire } from './wire.js';

export type PaymentService = ReturnType<typeof createPaymentService>;

export function createPaymentService(deps: {
  repo: ShopRepo;
  gateway: PaymentGateway;
  lifecycle: OrderLifecycle;
  clock: Clock;
  log: Logger;
  /** Attempts after which a failing inbox event is left for an operator (it stays recorded). */
  maxAttempts?: number;
}) {
  const { repo, gateway, lifecycle, clock, log } = deps;
  const maxAttempts = deps.maxAttempts ?? 20;
  let running: Promise<void> | undefined;
  let again = false;

  async function record(orderId: string, payment: ProviderPayment) {
    const now = clock.now();
    await repo.insertPayment({
      orderId,
      provider: gateway.provider,
      reference: payment.reference,
      status: payment.status,
      amountCents: payment.amountCents,
      currency: payment.currency,
      createdAt: now,
      updatedAt: now,
    });
  }

  /** Applies one recorded event and marks it processed, or counts a failed attempt. */
  async function processEvent(provider: string, eventId: string, reference: string) {
    try {
      const payment = await gateway.retrievePayment(reference);
      let orderId = (await repo.paymentByReference(reference))?.orderId;
      if (!orderId && payment.orderId && (await repo.findOrder(payment.orderId))) {
        // The webhook beat our own write of the payment row: adopt it from the provider's metadata.
        orderId = payment.orderId;
        const now = clock.now();
        await repo.insertPayment({
          orderId,
          provider,
          reference,
          status: payment.status,
          amountCents: payment.amountCents,
          currency: payment.currency,
          createdAt: now,
          updatedAt: now,
        });
      }
      if (orderId) await lifecycle.applyProviderPayment(orderId, payment);
      else log.warn({ provider, eventId, reference }, 'webhook for a payment of no known order; ignored');
      await repo.markEventProcessed(provider, eventId, clock.now());
    } catch (err) {
      log.error({ err, provider, eventId }, 'applying a payment event failed; will retry');
      await repo.markEventFailed(provider, eventId, (err as Error).message).catch(() => {});
    }
  }

  async function drain() {
    do {
      again = false;
      // Applying is idempotent (it converges on the provider's state under the order row lock),
      // so two instances working the same event at once is harmless.
      for (const event of await repo.pendingEvents(50, maxAttempts)) {
        await processEvent(event.provider, event.eventId, event.reference);
      }
    } while (again);
  }

  /** Runs the worker now (or once more after the current run). Never throws. */
  function kick(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = drain()
      .catch((err) => log.error({ err }, 'payment worker failed; will retry'))
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  /** Verifies and records a webhook; returns false for an event id seen before. */
  async function ingest(rawBody: Buffer, signature: string | undefined): Promise<{ duplicate: boolean }> {
    const notice = gateway.verifyWebhook(rawBody, signature);
    if (notice.kind === 'ignored') return { duplicate: false };
    const recorded = await repo.recordEvent({
      provider: gateway.provider,
      eventId: notice.eventId,
      type: notice.type,
      reference: notice.reference,
      payload: notice.payload,
      receivedAt: clock.now(),
    });
    if (recorded) void kick();
    return { duplicate: !recorded };
  }

  return {
    kick,
    async flush() {
      await kick();
      while (running) await running;
    },

    /** Starts the payment of an order just created (nothing to look up: it has none yet). */
    async startPayment(order: { id: string; totalCents: number; currency: string }): Promise<PaymentWire> {
      try {
        const payment = await gateway.createPayment({ orderId: order.id, amountCents: order.totalCents, currency: order.currency });
        await record(order.id, payment);
        return { provider: gateway.provider, reference: payment.reference, status: payment.status, clientSecret: payment.clientSecret };
      } catch (err) {
        if (err instanceof AppError) throw err;
        log.error({ err, orderId: order.id }, 'payment provider failed');
        throw PaymentProviderFailed('The payment could not be started; try again');
      }
    },

    /** The order's payment, created at the provider on first call; with the client secret for the owner. */
    async ensurePayment(orderId: string, userId: string | undefined): Promise<PaymentWire> {
      const order = await repo.findOrder(orderId, { userId });
      if (!order) throw OrderNotFound(`No order ${orderId}`);
      const [existing] = await repo.paymentsOf([orderId]);
      if (order.status !== 'pending_payment') {
        if (existing) return { provider: existing.provider, reference: existing.reference, status: existing.status };
        throw PaymentNotPending(`An order in status ${order.status} takes no payment`, { orderStatus: order.status });
      }
      try {
        const payment = existing
          ? await gateway.retrievePayment(existing.reference)
          : await gateway.createPayment({ orderId, amountCents: order.totalCents, currency: order.currency });
        if (!existing) await record(orderId, payment);
        return { provider: gateway.provider, reference: payment.reference, status: payment.status, clientSecret: payment.clientSecret };
      } catch (err) {
        if (err instanceof AppError) throw err;
        log.error({ err, orderId }, 'payment provider failed');
        throw PaymentProviderFailed('The payment could not be started; try again');
      }
    },

    ingest,

    /**
     * Sandbox only: the caller settles a payment of their own order (an admin, any order), and the
     * gateway's signed callback goes through the inbox like a real webhook. Someone else's payment,
     * and any payment on the Stripe gateway, reads as missing.
     */
    async settleSandboxPayment(who: { id: string; role: string }, reference: string, outcome: 'succeeded' | 'failed') {
      const missing = () => PaymentNotFound(`No sandbox payment ${reference}`);
      if (gateway.provider !== 'sandbox') throw missing();
      const orderId = await gateway.orderOf(reference);
      if (!orderId) throw missing();
      if (who.role !== 'admin' && !(await repo.findOrder(orderId, { userId: who.id }))) throw missing();
      const callback = await gateway.settle(reference, outcome);
      await ingest(callback.rawBody, callback.signature);
      return { reference, status: outcome };
    },
  };
}
