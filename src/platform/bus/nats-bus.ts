/**
 * The real EventBus on NATS JetStream. Events are stored in one stream (subjects
 * `<stream>.events.<type>`, kept 7 days), deduplicated by event id within two minutes (an
 * outbox relay that retries a publish does not store it twice). Each (subscribing module,
 * event type) has its own durable pull consumer `<module>__<type>`: every module gets every
 * event, and the replicas of one module share its durable like a queue. A new durable starts
 * at the stream's start, so events published before it existed (within retention) still
 * arrive. Acks are explicit; failures are nak'ed with a growing delay and end in the dead
 * letters after the configured deliveries (delivery.ts). The client reconnects forever.
 *
 * `follow` is the broadcast kind: an ordered consumer of this process alone (ephemeral, in
 * server memory, no acks) filtered on one type's subject from the first event at a start time. The client library
 * recreates it at the next stream sequence when it is lost (a server restart) or a gap shows.
 */
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type Consumer as JsConsumer,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
} from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { newId } from '../ids.js';
import { currentTraceparent } from '../tracing/spans.js';
import type { BusEvent, ConsumerLag, Follower, Subscription } from './bus-event.js';
import { type DeliveryPolicy, deliverEvent } from './delivery.js';
import type { DeliveryLedger } from './delivery-ledger.js';
import type { EventBus } from './event-bus.js';

const NANOS_PER_MS = 1_000_000;
/** A replayed event carries the one module it is for; the other modules' consumers skip it. */
const TARGET_HEADER = 'Zaplecze-Module';
/** The W3C trace context travels as a message header, the way OpenTelemetry's messaging conventions carry it. */
const TRACE_HEADER = 'traceparent';

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
  /** Told of every disconnect (false) and reconnect (true), for the followers' `current`. */
  const connectionListeners = new Set<(up: boolean) => void>();
  let subscriptionCount = 0;
  const starting = new Set<Promise<void>>();
  const statusLoop = (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        connected = false;
        for (const listener of connectionListeners) listener(false);
        log.warn({ server: status.server }, 'event bus disconnected; reconnecting');
      } else if (status.type === 'reconnect') {
        connected = true;
        for (const listener of connectionListeners) listener(true);
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
      event.traceparent = msg.headers?.get(TRACE_HEADER) || undefined;
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

  /**
   * Per durable this process subscribes to, what the server still holds for it: not yet
   * delivered (num_pending) plus delivered and not yet acked, which includes events nak'ed to
   * wait for a retry (num_ack_pending). Replicas report the same durable, so dashboards take
   * the max over instances. Skipped while disconnected: a stale request would hold the scrape.
   */
  async function consumerLag(): Promise<ConsumerLag[]> {
    if (!connected) return [];
    const durables = new Map([...consumers.values()].map((c) => [c.durable, c.subscription]));
    const read = await Promise.all(
      [...durables].map(async ([durable, { module, type }]) => {
        const info = await jsm.consumers.info(options.stream, durable).catch(() => null);
        return info ? [{ module, type, events: info.num_pending + info.num_ack_pending }] : [];
      }),
    );
    return read.flat();
  }

  const followers = new Set<{ stop(): Promise<void> }>();

  /**
   * The stream sequence of the first event of `type` at or after `since`. An ordered consumer
   * started by time would keep its start time in the config it recreates itself from (after a
   * server restart), beside a start sequence, which the server refuses; so a throwaway consumer
   * finds the sequence and the follower starts from that.
   */
  async function firstSequenceSince(type: string, since: Date): Promise<number> {
    const finder = await js.consumers.get(options.stream, { filter_subjects: `${prefix}.${type}`, opt_start_time: since.toISOString() });
    const info = await finder.info(true);
    await finder.delete().catch(() => {});
    return info.delivered.stream_seq + 1;
  }

  function follow(type: string, since: Date, handler: (event: BusEvent) => Promise<void> | void): Follower {
    const sinceNanos = BigInt(since.getTime()) * 1_000_000n;
    let stopped = false;
    let caughtUp = false;
    let consumer: JsConsumer | undefined;
    let messages: ConsumerMessages | undefined;
    /** Received and not yet handled: while any wait, this process is behind. */
    let backlog = 0;
    let chain = Promise.resolve();
    let probing = false;

    async function handle(msg: JsMsg) {
      // A recreated ordered consumer that had seen nothing restarts at the stream's first
      // sequence, not at `since`: skip what is older.
      if (msg.info.timestampNanos < sinceNanos) return;
      let event: BusEvent;
      try {
        event = msg.json<BusEvent>();
      } catch (err) {
        log.error({ err, eventType: type, seq: msg.seq }, 'unreadable event skipped by a follower');
        return;
      }
      try {
        await handler(event);
      } catch (err) {
        log.error({ err, eventType: type, eventId: event.id }, 'event follower failed; moving on');
      }
    }

    function receive(msg: JsMsg) {
      backlog += 1;
      const lastKnown = msg.info.pending === 0;
      chain = chain
        .then(() => handle(msg))
        .finally(() => {
          backlog -= 1;
          if (lastKnown && backlog === 0 && connected) caughtUp = true;
        });
    }

    /** Asks the server whether anything is left to deliver; retries until answered, stopped or disconnected. */
    function probe() {
      if (probing) return;
      probing = true;
      void (async () => {
        for (let attempt = 1; !stopped && connected && !caughtUp; attempt++) {
          try {
            const info = await (consumer as JsConsumer).info();
            if (info.num_pending === 0 && backlog === 0) caughtUp = true;
            return;
          } catch (err) {
            // The consumer is being recreated after a server restart: ask again shortly.
            log.debug({ err, eventType: type }, 'follower probe failed; will retry');
            await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 2000)));
          }
        }
      })().finally(() => {
        probing = false;
      });
    }

    const onConnection = (up: boolean) => {
      caughtUp = false;
      if (up && consumer) probe();
    };

    async function watch(messages: ConsumerMessages) {
      for await (const note of messages.status()) {
        if (note.type === 'heartbeats_missed' || note.type === 'consumer_not_found' || note.type === 'stream_not_found') {
          caughtUp = false;
        } else if (note.type === 'ordered_consumer_recreated') {
          caughtUp = false;
          probe();
        }
      }
    }

    const started = (async () => {
      for (let attempt = 1; !stopped; attempt++) {
        try {
          consumer = await js.consumers.get(options.stream, {
            filter_subjects: `${prefix}.${type}`,
            opt_start_seq: await firstSequenceSince(type, since),
          });
          if (stopped) return;
          messages = await consumer.consume({ max_messages: 256, callback: receive });
          void watch(messages);
          connectionListeners.add(onConnection);
          probe();
          return;
        } catch (err) {
          log.error({ err, eventType: type }, 'could not start an event follower; will retry');
          await new Promise((r) => setTimeout(r, Math.min(500 * attempt, 10_000)));
        }
      }
    })();

    const follower = {
      current: () => !stopped && connected && caughtUp,
      async stop() {
        stopped = true;
        followers.delete(follower);
        connectionListeners.delete(onConnection);
        await started;
        await messages?.close();
        await chain;
        // Ephemeral anyway (the server drops it after minutes idle); deleting needs the server.
        if (connected) await consumer?.delete().catch(() => {});
      },
    };
    followers.add(follower);
    return follower;
  }

  return {
    async publish(type, payload, id = newId(), traceparent) {
      // Fail fast rather than buffer: the outbox relay holds its row locks while publishing and retries later.
      if (!connected) throw new Error('event bus disconnected');
      const event: BusEvent = { id, type, occurredAt: new Date().toISOString(), payload };
      let h: ReturnType<typeof headers> | undefined;
      if (traceparent) {
        h = headers();
        h.set(TRACE_HEADER, traceparent);
      }
      await js.publish(`${prefix}.${type}`, JSON.stringify(event), { msgID: id, ...(h ? { headers: h } : {}) });
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
    follow: (type, { since }, handler) => follow(type, since, handler as (event: BusEvent) => Promise<void> | void),
    async redeliver(module, event, replayId) {
      const h = headers();
      h.set(TARGET_HEADER, module);
      // The replay continues the trace of the admin's request that asked for it.
      const traceparent = currentTraceparent();
      if (traceparent) h.set(TRACE_HEADER, traceparent);
      const { traceparent: _stale, ...body } = event;
      await js.publish(`${prefix}.${event.type}`, JSON.stringify(body), { msgID: `replay-${replayId}`, headers: h });
    },
    async ready() {
      while (starting.size) await Promise.all(starting);
    },
    async check() {
      if (!connected || nc.isClosed()) throw new Error('disconnected from NATS');
      const unbound = [...consumers.values()].filter((c) => !c.bound).map((c) => c.durable);
      if (unbound.length) throw new Error(`consumers not bound: ${unbound.join(', ')}`);
    },
    lag: consumerLag,
    async close() {
      const all = [...consumers.values()];
      consumers.clear();
      for (const c of all) c.stopped = true;
      await Promise.all(starting);
      await Promise.all(all.map(stop));
      await Promise.all([...followers].map((f) => f.stop()));
      // Draining needs the server; while disconnected there is nothing to flush, so just close.
      if (connected) await nc.drain().catch(() => nc.close());
      else await nc.close();
      await statusLoop.catch(() => {});
    },
  };
}
