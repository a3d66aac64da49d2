/**
 * The Stripe adapter, on the official SDK: one PaymentIntent per order (idempotency key
 * derived from the order id, so a retried checkout never creates a second charge), refunds
 * with the caller's idempotency key, and webhook verification of `Stripe-Signature` on the raw
 * body. The SDK retries network failures and 429/5xx itself (maxNetworkRetries) with the same
 * idempotency key.
 */
import Stripe from 'stripe';
import type { Clock } from '../../../platform/clock.js';
import { PaymentNotFound, PaymentProviderFailed, RefundRejected, WebhookSignatureInvalid } from '../errors.js';
import type { PaymentStatus } from '../tables.js';
import type { PaymentNotice, ProviderPayment, StripeGateway } from './gateway.js';

export interface StripeGatewayOptions {
  secretKey: string;
  webhookSecret: string;
  /** Another API base (a local fake in tests, or a proxy); default https://api.stripe.com. */
  apiUrl?: string;
  timeoutMs: number;
  maxNetworkRetries: number;
  toleranceSeconds?: number;
  clock: Clock;
}

function statusOf(pi: Stripe.PaymentIntent): PaymentStatus {
  switch (pi.status) {
    case 'succeeded':
      return 'succeeded';
    case 'canceled':
      return 'canceled';
    case 'processing':
    case 'requires_capture':
      return 'processing';
    case 'requires_payment_method':
      // Stripe returns a declined attempt to requires_payment_method with the error attached; the
      // same intent can be confirmed again, so 'failed' is not final (only 'canceled' is).
      return pi.last_payment_error ? 'failed' : 'requires_payment';
    default:
      return 'requires_payment';
  }
}

function refundedOf(pi: Stripe.PaymentIntent): number {
  const charge = pi.latest_charge;
  return charge && typeof charge === 'object' ? charge.amount_refunded : 0;
}

/** Wraps SDK failures: a missing object is a 404, anything else a 502 the client may retry. */
function providerError(err: unknown, what: string): Error {
  if (err instanceof Stripe.errors.StripeInvalidRequestError && err.statusCode === 404) {
    return PaymentNotFound(`Stripe has no ${what}`);
  }
  if (err instanceof Stripe.errors.StripeError) {
    return PaymentProviderFailed(`Stripe failed to ${what}: ${err.type}`, { providerCode: err.code ?? null });
  }
  return err as Error;
}

export function createStripeGateway(options: StripeGatewayOptions): StripeGateway {
  const api = options.apiUrl ? new URL(options.apiUrl) : undefined;
  const stripe = new Stripe(options.secretKey, {
    timeout: options.timeoutMs,
    maxNetworkRetries: options.maxNetworkRetries,
    ...(api && {
      host: api.hostname,
      port: api.port || (api.protocol === 'http:' ? 80 : 443),
      protocol: api.protocol === 'http:' ? 'http' : 'https',
    }),
    appInfo: { name: 'zaplecze' },
  });

  const toPayment = (pi: Stripe.PaymentIntent): ProviderPayment => ({
    reference: pi.id,
    status: statusOf(pi),
    amountCents: pi.amount,
    currency: pi.currency.toUpperCase(),
    clientSecret: pi.client_secret ?? '',
    refundedCents: refundedOf(pi),
    orderId: pi.metadata?.orderId,
  });

  return {
    provider: 'stripe',

    async createPayment({ orderId, amountCents, currency }) {
      try {
        const pi = await stripe.paymentIntents.create(
          {
            amount: amountCents,
            currency: currency.toLowerCase(),
            metadata: { orderId },
            automatic_payment_methods: { enabled: true },
          },
          { idempotencyKey: `order-${orderId}-payment` },
        );
        return toPayment(pi);
      } catch (err) {
        throw providerError(err, 'create the payment');
      }
    },

    async retrievePayment(reference) {
      try {
        return toPayment(await stripe.paymentIntents.retrieve(reference, { expand: ['latest_charge'] }));
      } catch (err) {
        throw providerError(err, `payment ${reference}`);
      }
    },

    async cancelPayment(reference) {
      try {
        await stripe.paymentIntents.cancel(reference);
      } catch (err) {
        // Already succeeded or canceled: nothing to cancel. The webhook of that outcome decides.
        if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'payment_intent_unexpected_state') return;
        throw providerError(err, `cancel payment ${reference}`);
      }
    },

    async refund({ reference, amountCents, idempotencyKey }) {
      try {
        const refund = await stripe.refunds.create({ payment_intent: reference, amount: amountCents }, { idempotencyKey });
        return { refundId: refund.id, succeeded: refund.status === 'succeeded' };
      } catch (err) {
        // Stripe answered and said no: nothing was refunded. Anything else (timeouts, 5xx) leaves
        // the outcome unknown, and the caller must retry with the same idempotency key.
        if (err instanceof Stripe.errors.StripeInvalidRequestError || err instanceof Stripe.errors.StripeCardError) {
          throw RefundRejected(`Stripe refused to refund payment ${reference}: ${err.message}`, { providerCode: err.code ?? null });
        }
        throw providerError(err, `refund payment ${reference}`);
      }
    },

    verifyWebhook(rawBody, signatureHeader): PaymentNotice {
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(
          rawBody,
          signatureHeader ?? '',
          options.webhookSecret,
          options.toleranceSeconds ?? 300,
          undefined,
          options.clock.now().getTime(),
        );
      } catch {
        throw WebhookSignatureInvalid('The Stripe-Signature header does not sign this body, or is too old');
      }
      const object = event.data.object as { id?: string; object?: string; payment_intent?: string | { id: string } | null };
      if (event.type.startsWith('payment_intent.') && object.id) {
        return { eventId: event.id, type: event.type, kind: 'payment', reference: object.id, payload: event };
      }
      if (event.type === 'charge.refunded' && object.payment_intent) {
        const reference = typeof object.payment_intent === 'string' ? object.payment_intent : object.payment_intent.id;
        return { eventId: event.id, type: event.type, kind: 'refund', reference, payload: event };
      }
      return { eventId: event.id, type: event.type, kind: 'ignored', reference: object.id ?? '', payload: event };
    },
  };
}
