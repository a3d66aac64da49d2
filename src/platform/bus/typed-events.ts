/**
 * Typed events. Every module adds the events it publishes to `EventPayloads` (declaration
 * merging in its events.ts), so publishing and subscribing are checked by name and payload
 * type without casts, and the app hands the bus the merged schemas (src/events.ts), so a
 * payload is also checked on the wire at the consumer: one that fails its schema is rejected
 * at once (logged and dead-lettered, since no retry can fix it), never cast.
 */
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { type BusEvent, UndeliverableEvent } from './bus-event.js';
import type { EventBus } from './event-bus.js';

/**
 * Event type -> payload type of every event of the app. Empty here: each publishing module
 * extends it, e.g. `declare module '../../platform/bus/typed-events.js' { interface EventPayloads { 'user.deleted': UserDeleted } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in the modules' events.ts
export interface EventPayloads {}

/** The name of any event of the app. */
export type EventType = keyof EventPayloads & string;

/** The payload schema of every event type: what a consumer checks before its handler runs. */
export type EventSchemas = { readonly [K in EventType]: TSchema };

/** The app's bus: typed over every module's events, checking each payload against its schema. */
export type TypedEventBus = EventBus<EventPayloads>;

/** Wraps a transport bus so that subscribers get only payloads that pass their type's schema. */
export function typedEventBus(bus: EventBus, schemas: EventSchemas): TypedEventBus {
  const checkers = new Map(Object.entries(schemas).map(([type, schema]) => [type, Compile(schema as TSchema)]));
  /** Throws unless `event`'s payload passes its type's schema. */
  function checkerOf(type: string) {
    const checker = checkers.get(type);
    // A type without a schema is a programming error: fail at start, not at the first event.
    if (!checker) throw new Error(`event type '${type}' has no schema in the app's event map (src/events.ts)`);
    return (event: BusEvent) => {
      if (!checker.Check(event.payload)) {
        const problems = [...checker.Errors(event.payload)].slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`);
        throw new UndeliverableEvent(`payload does not match the ${type} schema: ${problems.join('; ')}`);
      }
    };
  }
  return {
    publish: (type, payload, id, traceparent) => bus.publish(type, payload, id, traceparent),
    subscribe(module, type, handler) {
      const check = checkerOf(type);
      return bus.subscribe(module, type, (event) => {
        check(event);
        // Checked against the schema the publisher's type is declared with.
        return handler(event as BusEvent<EventPayloads[typeof type]>);
      });
    },
    // A follower has no dead letters: a payload that fails its schema is thrown to the adapter, which logs it and moves on.
    follow(type, options, handler) {
      const check = checkerOf(type);
      return bus.follow(type, options, (event) => {
        check(event);
        return handler(event as BusEvent<EventPayloads[typeof type]>);
      });
    },
    redeliver: (module, event, replayId) => bus.redeliver(module, event, replayId),
    ready: () => bus.ready(),
    check: () => bus.check(),
    lag: () => bus.lag(),
    close: () => bus.close(),
  };
}
