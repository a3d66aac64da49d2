/**
 * Typed events: a publishing module declares its event map (type -> TypeBox schema of the
 * payload) in its events.ts; subscribers name the map and get typed payloads without casts.
 * The payload is checked against the schema at the consumer: one that fails is rejected at
 * once (logged and dead-lettered, since no retry can fix it), never cast.
 */
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { type BusEvent, UndeliverableEvent } from './bus-event.js';
import type { EventBus } from './event-bus.js';

/** A module's events: type name -> payload schema. */
export type EventMap = Record<string, TSchema>;

/** The payload of `type` in `map`. */
export type PayloadOf<M extends EventMap, K extends keyof M> = Static<M[K]>;

/** Subscribes `module` to `type` of the publisher's `map`, validating each payload against its schema. */
export function subscribeTo<M extends EventMap, K extends keyof M & string>(
  bus: EventBus,
  module: string,
  map: M,
  type: K,
  handler: (event: BusEvent<PayloadOf<M, K>>) => Promise<void> | void,
): () => void {
  const schema = Compile(map[type] as TSchema);
  return bus.subscribe(module, type, (event) => {
    if (!schema.Check(event.payload)) {
      const problems = [...schema.Errors(event.payload)].slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`);
      throw new UndeliverableEvent(`payload does not match the ${type} schema: ${problems.join('; ')}`);
    }
    return handler(event as BusEvent<PayloadOf<M, K>>);
  });
}
