/**
 * The event bus port: modules publish facts after their transaction commits and others react.
 * Embedded: in-process, delivered asynchronously after `publish` returns. A real NATS
 * JetStream adapter implements the same interface for the distributed deployment.
 */
import type { Logger } from 'pino';
import { newId } from '../ids.js';

/** An event as it travels: a type like `product.created`, a JSON payload and a unique id. */
export interface BusEvent<T = unknown> {
  id: string;
  type: string;
  occurredAt: string;
  payload: T;
}

export type EventHandler = (event: BusEvent) => Promise<void> | void;

export interface EventBus {
  publish(type: string, payload: unknown, id?: string): Promise<void>;
  /** Handles every event of `type`; returns an unsubscribe function. */
  subscribe(type: string, handler: EventHandler): () => void;
  /** Resolves when every subscription so far is receiving (the real adapter sets them up asynchronously). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** The in-process bus. A failing handler is logged and does not affect the publisher or others. */
export function createMemoryBus(log: Logger): EventBus {
  const handlers = new Map<string, Set<EventHandler>>();
  const pending = new Set<Promise<void>>();
  return {
    async publish(type, payload, id = newId()) {
      const event: BusEvent = { id, type, occurredAt: new Date().toISOString(), payload };
      for (const handler of handlers.get(type) ?? []) {
        const run = Promise.resolve()
          .then(() => handler(event))
          .catch((err) => log.error({ err, eventType: type, eventId: id }, 'event handler failed'))
          .finally(() => pending.delete(run));
        pending.add(run);
      }
    },
    subscribe(type, handler) {
      const set = handlers.get(type) ?? new Set<EventHandler>();
      handlers.set(type, set);
      set.add(handler);
      return () => set.delete(handler);
    },
    async ready() {},
    async close() {
      await Promise.all(pending);
      handlers.clear();
    },
  };
}
