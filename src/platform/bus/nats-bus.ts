/**
 * The real EventBus on NATS JetStream. Events are stored in one stream (subjects
 * `<stream>.events.<type>`, kept 7 days), deduplicated by event id within two minutes (an
 * outbox relay that retries a publish does not store it twice). Each (subscribing module,
 * event type) has its own durable pull consumer `<module>__<type>`: every module gets every
 * event, and the replicas of one module share its durable like a queue. A new durable starts
 * at the stream's start, so events published before it existed (within retention) still
 * arrive. Acks are explicit; failures are nak'ed with a growing delay and end in the dead
 * letters after the configured deliveries (delivery.ts). The client reconnects forever.
 */
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
} from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { newId } from '../ids.js';
import type { BusEvent, Subscription } from './bus-event.js';
import { type DeliveryPolicy, deliverEvent } from './delivery.js';
import type { DeliveryLedger } from './delivery-ledger.js';
import type { EventBus } from './event-bus.js';

const NANOS_PER_MS = 1_000_000;
/** A replayed event carries the one module it is for; the other modules' consumers skip it. */
const TARGET_HEADER = 'Zaplecze-Module';

export interface NatsBusOptions {
  url: string;
  /** Stream name; also the subject prefix (lower-cased). */
  stream: string;
  /** A name for the connection (the deployable), seen in the server's monitoring. */
  connectionName: string;
  ledger: DeliveryLedger;
  policy: DeliveryPolicy;
  log: Logger;
}

interface Consumer {
  subscription: Subscription;
  durable: string;
  messages?: ConsumerMessages;
  bound: boolean;
  stopped: boolean;
  loop?: Promise<void>;
}

/** Connects, makes sure the stream exists, and returns the bus. */
export async function createNatsBus(options: NatsBusOptions): Promise<EventBus> {
  const { log, ledger, policy } = options;
  const nc = await connect({
    servers: options.url,
    name: `zaplecze-${options.connectionName}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
  });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const prefix = `${options.stream.toLowerCase()}.events`;
  await ensureStream();

  let connected = true;
  const consumers = new Map<string, Consumer>();
  let subscriptionCount = 0;
  const starting = new Set<Promise<void>>();
  const statusLoop = (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        connected = false;
        log.warn({ server: status.server }, 'event bus disconnected; reconnecting');
      } else if (status.type === 'reconnect') {
        connected = true;
        log.info({ server: status.server }, 'event bus reconnected');
      }
    }
  })();

  async function ensureStream() {
    const config = {
      name: options.stream,
      subjects: [`${prefix}.>`],
      retention: RetentionPolicy.Limits,
      max_age: 7 * 86_400_000 * NANOS_PER_MS,
      duplicate_window: 120_000 * NANOS_PER_MS,
    };
    if (await jsm.streams.info(options.stream).catch(() => null)) return;
    await jsm.streams.add(config).catch(async (err) => {
      // Another instance created it first.
      if (!(await jsm.streams.info(options.stream).catch(() => null))) throw err;
    });
  }

  async function ensureConsumer(consumer: Consumer) {
    if (await jsm.consumers.info(options.stream, consumer.durable).catch(() => null)) return;
    await jsm.consumers
      .add(options.stream, {
        durable_name: consumer.durable,
        filter_subject: `${prefix}.${consumer.subscription.type}`,
        ack_policy: AckPolicy.Explicit,
        // A new module gets what the stream still holds, not only what comes after it.
        deliver_policy: DeliverPolicy.All,
        // Unlimited here: delivery.ts counts and dead-letters, so no event is dropped silently.
        max_deliver: -1,
        ack_wait: 30_000 * NANOS_PER_MS,
      })
      .catch(async (err) => {
        // A replica created it first.
        if (!(await jsm.consumers.info(options.stream, consumer.durable).catch(() => null))) throw err;
      });
  }

  async function handle(consumer: Consumer, msg: JsMsg) {
    const target = msg.headers?.get(TARGET_HEADER);
    if (target && target !== consumer.subscription.module) {
      msg.ack();
      return;
    }
    let event: BusEvent;
    try {
      event = msg.json<BusEvent>();
    } catch (err) {
      log.error({ err, durable: consumer.durable, seq: msg.seq }, 'unreadable event dropped');
      msg.term();
      return;
    }
    const outcome = await deliverEvent({ ledger, policy, log }, consumer.subscription, event, msg.info.deliveryCount);
    if (outcome.kind === 'retry') msg.nak(outcome.afterMs);
    else msg.ack();
  }

  async function watch(consumer: Consumer, messages: ConsumerMessages) {
    for await (const note of messages.status()) {
      if (note.type === 'consumer_not_found' || note.type === 'consumer_deleted' || note.type === 'stream_not_found') {
        // The server lost it (a restart without its store, an operator): put it back.
        consumer.bound = false;
        log.warn({ durable: consumer.durable, note: note.type }, 'event consumer missing; recreating');
        try {
          await ensureStream();
          await ensureConsumer(consumer);
          consumer.bound = true;
        } catch (err) {
          log.error({ err, durable: consumer.durable }, 'could not recreate the event consumer; will retry');
        }
      }
    }
  }

  /** Binds the consumer, retrying until it works or the bus closes. */
  async function start(consumer: Consumer) {
    for (let attempt = 1; !consumer.stopped; attempt++) {
      try {
        await ensureConsumer(consumer);
        const messages = await (await js.consumers.get(options.stream, consumer.durable)).consume({ max_messages: 64 });
        consumer.messages = messages;
        consumer.bound = true;
        void watch(consumer, messages);
        consumer.loop = (async () => {
          // One at a time per consumer: a module sees one type's events in stream order.
          for await (const msg of messages) await handle(consumer, msg);
        })();
        if (consumer.stopped) await messages.close();
        return;
      } catch (err) {
        log.error({ err, durable: consumer.durable }, 'could not start the event consumer; will retry');
        await new Promise((r) => setTimeout(r, Math.min(500 * attempt, 10_000)));
      }
    }
  }

  async function stop(consumer: Consumer) {
    consumer.stopped = true;
    await consumer.messages?.close();
    await consumer.loop;
  }

  return {
    async publish(type, payload, id = newId()) {
      // Fail fast rather than buffer: the outbox relay holds its row locks while publishing and retries later.
      if (!connected) throw new Error('event bus disconnected');
      const event: BusEvent = { id, type, occurredAt: new Date().toISOString(), payload };
      await js.publish(`${prefix}.${type}`, JSON.stringify(event), { msgID: id });
    },
    subscribe(module, type, handler) {
      // Two subscriptions of one module to one type bind the same durable and share it, like replicas.
      subscriptionCount += 1;
      const key = `${module}\n${type}\n${subscriptionCount}`;
      const consumer: Consumer = {
        subscription: { module, type, handler },
        durable: `${module}__${type}`.replace(/[^\w-]/g, '_'),
        bound: false,
        stopped: false,
      };
      consumers.set(key, consumer);
      const started = start(consumer).finally(() => starting.delete(started));
      starting.add(started);
      return () => {
        consumers.delete(key);
        consumer.stopped = true;
        void started.then(() => stop(consumer));
      };
    },
    async redeliver(module, event, replayId) {
      const h = headers();
      h.set(TARGET_HEADER, module);
      await js.publish(`${prefix}.${event.type}`, JSON.stringify(event), { msgID: `replay-${replayId}`, headers: h });
    },
    async ready() {
      while (starting.size) await Promise.all(starting);
    },
    async check() {
      if (!connected || nc.isClosed()) throw new Error('disconnected from NATS');
      const unbound = [...consumers.values()].filter((c) => !c.bound).map((c) => c.durable);
      if (unbound.length) throw new Error(`consumers not bound: ${unbound.join(', ')}`);
    },
    async close() {
      const all = [...consumers.values()];
      consumers.clear();
      for (const c of all) c.stopped = true;
      await Promise.all(starting);
      await Promise.all(all.map(stop));
      // Draining needs the server; while disconnected there is nothing to flush, so just close.
      if (connected) await nc.drain().catch(() => nc.close());
      else await nc.close();
      await statusLoop.catch(() => {});
    },
  };
}
