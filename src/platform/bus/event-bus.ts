/**
 * The event bus port: modules publish facts (through the outbox relay, after their transaction
 * commits) and other modules react. Every subscribing module gets every event of a type; the
 * replicas of one module share them. A handler that fails is retried with a growing backoff and,
 * after the configured deliveries, its event goes to the dead letters, which admins can replay.
 * Embedded: in-process. Real: NATS JetStream (nats-bus.ts). Both deliver through delivery.ts.
 */
import type { Logger } from 'pino';
import { newId } from '../ids.js';
import { currentTraceparent } from '../tracing/spans.js';
import type { BusEvent, ConsumerLag, Follower, FollowOptions, Subscription } from './bus-event.js';
import { type DeliveryPolicy, deliverEvent } from './delivery.js';
import type { DeliveryLedger } from './delivery-ledger.js';

export type { BusEvent, ConsumerLag, EventHandler, Follower, FollowOptions, Subscription } from './bus-event.js';

/**
 * The bus, generic over an event map (type -> payload). The adapters move any type with an
 * unknown payload; the app's bus (`TypedEventBus` in typed-events.ts) is typed over every
 * module's events and checks payloads against their schemas.
 */
export interface EventBus<P extends object = Record<string, unknown>> {
  /** `traceparent` links the consumers' spans to the publisher's (tracing on). */
  publish<K extends keyof P & string>(type: K, payload: P[K], id?: string, traceparent?: string): Promise<void>;
  /** Handles every event of `type` for `module`; returns an unsubscribe function. */
  subscribe<K extends keyof P & string>(module: string, type: K, handler: (event: BusEvent<P[K]>) => Promise<void> | void): () => void;
  /**
   * Broadcast: every event of `type` published since `options.since` reaches this process (each
   * instance that follows gets each event), unlike `subscribe`, whose replicas share the events.
   */
  follow<K extends keyof P & string>(type: K, options: FollowOptions, handler: (event: BusEvent<P[K]>) => Promise<void> | void): Follower;
  /** Delivers a dead-lettered event again, to `module` only (`replayId` makes the resend unique). */
  redeliver(module: string, event: BusEvent, replayId: string): Promise<void>;
  /** Resolves when every subscription so far is receiving (the real adapter sets them up asynchronously). */
  ready(): Promise<void>;
  /** Throws, saying why, while the bus cannot deliver (disconnected, or a consumer not bound). */
  check(): Promise<void>;
  /**
   * The lag of every (module, type) this process subscribes to, once each however many
   * subscriptions share it. Asked at scrape time only; a consumer that cannot be read now
   * (NATS unreachable) is left out rather than reported as 0.
   */
  lag(): Promise<ConsumerLag[]>;
  close(): Promise<void>;
}

export interface MemoryBusOptions {
  log: Logger;
  ledger: DeliveryLedger;
  policy: DeliveryPolicy;
}

/**
 * The in-process bus: delivered asynchronously after `publish` returns, retried on timers.
 * Retries waiting when the process stops are lost with it; the embedded deployment is one
 * process, so an event whose publish committed is at most redelivered, never duplicated.
 */
export function createMemoryBus({ log, ledger, policy }: MemoryBusOptions): EventBus {
  // Per (module, type), the subscriptions that share its events (one module started twice in a process).
  const groups = new Map<string, { members: Subscription[]; next: number }>();
  const keyOf = (module: string, type: string) => `${module}\n${type}`;
  /** The member of the group whose turn it is, as a queue group would pick one. */
  const pick = (key: string) => {
    const group = groups.get(key);
    if (!group?.members.length) return undefined;
    group.next = (group.next + 1) % group.members.length;
    return group.members[group.next];
  };
  const followers = new Set<{ type: string; handler: (event: BusEvent) => Promise<void> | void }>();
  /** Per (module, type), events handed to it and not yet handled or dead-lettered: its lag. */
  const unfinished = new Map<string, number>();
  const settle = (key: string) => unfinished.set(key, (unfinished.get(key) ?? 1) - 1);
  const pending = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  /** The first delivery of `event` to the group at `key`, counted as lag until it settles. */
  function deliver(key: string, event: BusEvent) {
    const member = pick(key);
    if (!member) return;
    unfinished.set(key, (unfinished.get(key) ?? 0) + 1);
    run(member, event, 1);
  }

  function run(subscription: Subscription, event: BusEvent, delivery: number) {
    const key = keyOf(subscription.module, subscription.type);
    const attempt = deliverEvent({ ledger, policy, log }, subscription, event, delivery)
      .then((outcome) => {
        if (outcome.kind !== 'retry' || closed) {
          settle(key);
          return;
        }
        const timer = setTimeout(() => {
          timers.delete(timer);
          // Retried by whichever member of the module is still subscribed; with none left it is dropped.
          const member = pick(key);
          if (member) run(member, event, delivery + 1);
          else settle(key);
        }, outcome.afterMs);
        timers.add(timer);
      })
      .finally(() => pending.delete(attempt));
    pending.add(attempt);
  }

  /** After `publish` returns, like a subscription's delivery; a failure is only logged. */
  function fanOut(handler: (event: BusEvent) => Promise<void> | void, event: BusEvent) {
    const delivery = Promise.resolve()
      .then(() => handler(event))
      .catch((err) => log.error({ err, eventType: event.type, eventId: event.id }, 'event follower failed'))
      .finally(() => pending.delete(delivery));
    pending.add(delivery);
  }

  return {
    async publish(type, payload, id = newId(), traceparent) {
      const event: BusEvent = { id, type, occurredAt: new Date().toISOString(), payload, ...(traceparent ? { traceparent } : {}) };
      for (const [key, group] of groups) if (group.members[0]?.type === type) deliver(key, event);
      for (const follower of followers) if (follower.type === type) fanOut(follower.handler, event);
    },
    // In-process: every event is published in this process, so a follower is always current;
    // what was published before it started is not kept, so `since` has nothing to replay.
    follow(type, _options, handler) {
      const follower = { type, handler: handler as (event: BusEvent) => Promise<void> | void };
      followers.add(follower);
      return {
        current: () => followers.has(follower),
        async stop() {
          followers.delete(follower);
        },
      };
    },
    subscribe(module, type, handler) {
      const key = keyOf(module, type);
      const subscription = { module, type, handler };
      const group = groups.get(key) ?? { members: [], next: -1 };
      groups.set(key, group);
      group.members.push(subscription);
      return () => {
        group.members = group.members.filter((s) => s !== subscription);
      };
    },
    async redeliver(module, event) {
      // The replay continues the trace of the admin's request that asked for it.
      deliver(keyOf(module, event.type), { ...event, traceparent: currentTraceparent() });
    },
    async ready() {},
    async check() {},
    async lag() {
      return [...groups]
        .filter(([, group]) => group.members.length)
        .map(([key, group]) => {
          const { module, type } = group.members[0] as Subscription;
          return { module, type, events: unfinished.get(key) ?? 0 };
        });
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      while (pending.size) await Promise.all(pending);
      groups.clear();
      unfinished.clear();
      followers.clear();
    },
  };
}
