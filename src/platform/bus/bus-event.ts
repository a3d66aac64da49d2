/** The shapes that travel on the event bus and the handlers that receive them. */
/** An event as it travels: a type like `product.created`, a JSON payload and a unique id. */
export interface BusEvent<T = unknown> {
  id: string;
  type: string;
  occurredAt: string;
  payload: T;
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
