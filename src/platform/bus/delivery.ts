/**
 * One delivery of one event to one subscribing module, the same for both bus adapters:
 * skip it if the module already handled the event, run the handler, remember success; on
 * failure retry with a growing backoff, and after `maxDeliveries` write a dead letter.
 */
import type { Logger } from 'pino';
import { contextOf, inSpan, SpanKind } from '../tracing/spans.js';
import { type BusEvent, type Subscription, UndeliverableEvent } from './bus-event.js';
import type { DeliveryLedger } from './delivery-ledger.js';

/** How often and how patiently a failing handler is retried. */
export interface DeliveryPolicy {
  /** Deliveries (the first one included) before the event goes to the dead letters. */
  maxDeliveries: number;
  /** Wait before the second delivery; it doubles with each further one, up to five minutes. */
  retryBackoffMs: number;
}

export type DeliveryOutcome = { kind: 'done' } | { kind: 'dead' } | { kind: 'retry'; afterMs: number };

const MAX_BACKOFF_MS = 5 * 60_000;

/** The wait before delivery number `delivery + 1`. */
export function backoffAfter(policy: DeliveryPolicy, delivery: number): number {
  return Math.min(policy.retryBackoffMs * 2 ** Math.max(0, delivery - 1), MAX_BACKOFF_MS);
}

export interface DeliveryDeps {
  ledger: DeliveryLedger;
  policy: DeliveryPolicy;
  log: Logger;
}

/**
 * Delivers `event` (its `delivery`-th attempt, from 1) and says what the transport should do
 * next. With tracing on, the delivery is a consumer span, child of the span that published the
 * event (its `traceparent`): the handler's own work joins the publisher's trace.
 */
export function deliverEvent(deps: DeliveryDeps, subscription: Subscription, event: BusEvent, delivery: number): Promise<DeliveryOutcome> {
  return inSpan(
    `process ${event.type}`,
    {
      kind: SpanKind.CONSUMER,
      parent: contextOf(event.traceparent),
      attributes: {
        'messaging.operation.type': 'process',
        'messaging.destination.name': event.type,
        'messaging.message.id': event.id,
        'messaging.consumer.group.name': subscription.module,
        'zaplecze.delivery': delivery,
      },
    },
    async (span) => {
      const outcome = await deliverOnce(deps, subscription, event, delivery);
      span?.setAttribute('zaplecze.delivery.outcome', outcome.kind);
      return outcome;
    },
  );
}

async function deliverOnce(deps: DeliveryDeps, subscription: Subscription, event: BusEvent, delivery: number): Promise<DeliveryOutcome> {
  const { ledger, policy, log } = deps;
  const context = { module: subscription.module, eventType: event.type, eventId: event.id, delivery };
  try {
    if (await ledger.wasHandled(subscription.module, event.id)) return { kind: 'done' };
  } catch (err) {
    // The ledger is unreachable (database down): try again later without running the handler.
    log.error({ err, ...context }, 'event delivery ledger failed; will retry');
    return { kind: 'retry', afterMs: backoffAfter(policy, delivery) };
  }
  try {
    await subscription.handler(event);
  } catch (err) {
    if (delivery < policy.maxDeliveries && !(err instanceof UndeliverableEvent)) {
      log.warn({ err, ...context }, 'event handler failed; will retry');
      return { kind: 'retry', afterMs: backoffAfter(policy, delivery) };
    }
    try {
      await ledger.bury({ module: subscription.module, event, deliveries: delivery, error: errorText(err) });
    } catch (buryErr) {
      log.error({ err: buryErr, ...context }, 'could not write the dead letter; will retry');
      return { kind: 'retry', afterMs: backoffAfter(policy, delivery) };
    }
    log.error({ err, ...context }, 'event handler failed for the last time; event moved to the dead letters');
    return { kind: 'dead' };
  }
  try {
    await ledger.markHandled(subscription.module, event.id);
  } catch (err) {
    // Handled but not remembered: a redelivery runs the (idempotent) handler once more.
    log.warn({ err, ...context }, 'could not remember a handled event');
  }
  return { kind: 'done' };
}

const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 2000);
