/**
 * The real EventBus on NATS JetStream, for the distributed deployment. Events are stored in
 * one stream (`<stream>.events.<type>`), deduplicated by event id within two minutes (so an
 * outbox relay that retries a publish does not deliver twice), and consumed through durable
 * pull consumers named after the consumer group: every deployable (group) gets each event
 * once, and replicas of the same deployable share the work. Handlers are retried (nak with
 * backoff) up to 5 deliveries, so they must be idempotent.
 */
import {
  AckPolicy,
  type ConsumerMessages,
  connect,
  DeliverPolicy,
  type JetStreamClient,
  JSONCodec,
  type NatsConnection,
  RetentionPolicy,
} from 'nats';
import type { Logger } from 'pino';
import { newId } from '../ids.js';
import type { BusEvent, EventBus, EventHandler } from './event-bus.js';

const codec = JSONCodec<BusEvent>();
const MAX_DELIVER = 5;

export interface NatsBusOptions {
  url: string;
  /** Stream name; also the subject prefix (lower-cased). */
  stream: string;
  /** Consumer group: the deployable's name. */
  group: string;
  log: Logger;
}

/** Connects, makes sure the stream exists, and returns the bus. */
export async function createNatsBus(options: NatsBusOptions): Promise<EventBus> {
  const nc: NatsConnection = await connect({ servers: options.url, name: `zaplecze-${options.group}` });
  const jsm = await nc.jetstreamManager();
  const prefix = `${options.stream.toLowerCase()}.events`;
  const streamConfig = {
    name: options.stream,
    subjects: [`${prefix}.>`],
    retention: RetentionPolicy.Limits,
    max_age: 7 * 24 * 3600 * 1_000_000_000,
    duplicate_window: 120 * 1_000_000_000,
  };
  try {
    await jsm.streams.info(options.stream);
  } catch {
    await jsm.streams.add(streamConfig).catch(async (err) => {
      // Another instance created it first.
      if (!(await jsm.streams.info(options.stream).catch(() => null))) throw err;
    });
  }
  const js: JetStreamClient = nc.jetstream();
  const running = new Set<{ messages: ConsumerMessages; done: Promise<void> }>();
  const pendingStarts = new Set<Promise<void>>();

  async function startConsumer(type: string, handler: EventHandler) {
    const durable = `${options.group}__${type}`.replace(/[^\w-]/g, '_');
    try {
      await jsm.consumers.info(options.stream, durable);
    } catch {
      await jsm.consumers.add(options.stream, {
        durable_name: durable,
        filter_subject: `${prefix}.${type}`,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.New,
        max_deliver: MAX_DELIVER,
        ack_wait: 30 * 1_000_000_000,
      });
    }
    const consumer = await js.consumers.get(options.stream, durable);
    const messages = await consumer.consume({ max_messages: 64 });
    const done = (async () => {
      for await (const msg of messages) {
        try {
          await handler(codec.decode(msg.data));
          msg.ack();
        } catch (err) {
          options.log.error({ err, eventType: type, delivery: msg.info.deliveryCount }, 'event handler failed; will retry');
          msg.nak(1000 * 2 ** Math.min(msg.info.deliveryCount, 5));
        }
      }
    })();
    return { messages, done };
  }

  return {
    async publish(type, payload, id = newId()) {
      const event: BusEvent = { id, type, occurredAt: new Date().toISOString(), payload };
      await js.publish(`${prefix}.${type}`, codec.encode(event), { msgID: id });
    },
    subscribe(type, handler) {
      let entry: Awaited<ReturnType<typeof startConsumer>> | undefined;
      let cancelled = false;
      const starting = startConsumer(type, handler).then(
        (started) => {
          entry = started;
          running.add(started);
          if (cancelled) void started.messages.close();
        },
        (err) => options.log.error({ err, eventType: type }, 'could not start the event consumer'),
      );
      pendingStarts.add(starting);
      return () => {
        cancelled = true;
        if (entry) {
          void entry.messages.close();
          running.delete(entry);
        }
      };
    },
    async ready() {
      await Promise.all(pendingStarts);
    },
    async close() {
      await Promise.all(pendingStarts);
      for (const entry of running) await entry.messages.close();
      await Promise.all([...running].map((e) => e.done));
      running.clear();
      await nc.drain();
    },
  };
}
