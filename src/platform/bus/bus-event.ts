/** The shapes that travel on the event bus and the handlers that receive them. */
/** An event as it travels: a type like `product.created`, a JSON payload and a unique id. */
export interface BusEvent<T = unknown> {
  id: string;
  type: string;
  occurredAt: string;
  payload: T;
  /** The W3C trace context of the span that published it, when tracing is on; travels beside the event (a NATS header), not in it. */
  traceparent?: string;
}

export type EventHandler = (event: BusEvent) => Promise<void> | void;

/** A module's handler for one event type. Several of one (module, type) share its events, like replicas. */
export interface Subscription {
  /** The subscribing module's name: the unit that gets every event (its replicas share them). */
  module: string;
  type: string;
  handler: EventHandler;
}

/** A failure no redelivery can fix: the event goes to the dead letters on its first delivery. */
export class UndeliverableEvent extends Error {
  override name = 'UndeliverableEvent';
}

/**
 * A broadcast subscription: this process gets every event of one type from a start time on,
 * whatever other processes follow. Nothing is acked, deduplicated or dead-lettered; a handler
 * that fails is logged and the follower moves on. For state every instance keeps in memory.
 */
export interface Follower {
  /** Connected and caught up with the stream (every event up to about now has been handled). */
  current(): boolean;
  stop(): Promise<void>;
}

export interface FollowOptions {
  /** Events published from this time on are delivered (those still in the stream, for a past time). */
  since: Date;
}

/**
 * How far one subscribing module is behind on one event type (its durable consumer on NATS):
 * the events not yet handled or dead-lettered, whether waiting, in a handler, or between retries.
 */
export interface ConsumerLag {
  module: string;
  type: string;
  events: number;
}
