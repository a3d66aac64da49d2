/**
 * Checkouts and payments by outcome, as metrics. A checkout counts once per request: `placed`,
 * `replayed` (an Idempotency-Key seen before), the refusal's error code (OUT_OF_STOCK,
 * CART_EMPTY, ...) or `error`. A payment counts once per provider event applied to an order
 * (the webhook inbox dedupes events), by the payment status the provider reports.
 * The services are returned unchanged when metrics are off.
 */
import { AppError } from '../../platform/http/errors.js';
import type { Metrics } from '../../platform/metrics/metrics.js';
import type { CheckoutService } from './checkout-service.js';
import type { OrderLifecycle } from './order-lifecycle.js';

/** The checkout service, counting each placeOrder by outcome. */
export function withCheckoutMetrics(checkout: CheckoutService, metrics: Metrics): CheckoutService {
  if (!metrics.enabled) return checkout;
  const checkouts = metrics.counter(
    'zaplecze_shop_checkouts_total',
    'Checkout requests by outcome (placed, replayed, or the refusal code).',
    ['outcome'],
  );
  return {
    ...checkout,
    async placeOrder(userId, key, input) {
      try {
        const result = await checkout.placeOrder(userId, key, input);
        checkouts.inc({ outcome: result.replayed ? 'replayed' : 'placed' });
        return result;
      } catch (err) {
        checkouts.inc({ outcome: err instanceof AppError ? err.code : 'error' });
        throw err;
      }
    },
  };
}

/** The order lifecycle, counting each provider payment event it applies, by payment status. */
export function withPaymentMetrics(lifecycle: OrderLifecycle, metrics: Metrics): OrderLifecycle {
  if (!metrics.enabled) return lifecycle;
  const payments = metrics.counter('zaplecze_shop_payment_events_total', 'Provider payment events applied to orders, by payment status.', [
    'status',
  ]);
  return {
    ...lifecycle,
    async applyProviderPayment(orderId, payment) {
      await lifecycle.applyProviderPayment(orderId, payment);
      payments.inc({ status: payment.status });
    },
  };
}
