/**
 * Events the identity module publishes through the outbox, in the transaction that makes the
 * change. `IdentityEventMap` is the contract: subscribers get payloads checked against it.
 */
import { Type } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';

export const IdentityEvents = {
  userRegistered: 'user.registered',
  userDisabled: 'user.disabled',
  userDeleted: 'user.deleted',
} as const;

const UserRef = Type.Object({ userId: Type.String({ format: 'uuid' }) });

/** Event type -> payload schema. */
export const IdentityEventMap = {
  [IdentityEvents.userRegistered]: Type.Object({ userId: Type.String({ format: 'uuid' }), email: Type.String() }),
  [IdentityEvents.userDisabled]: UserRef,
  [IdentityEvents.userDeleted]: UserRef,
};

export type UserRegistered = Static<(typeof IdentityEventMap)['user.registered']>;
export type UserDisabled = Static<(typeof IdentityEventMap)['user.disabled']>;
export type UserDeleted = Static<(typeof IdentityEventMap)['user.deleted']>;

/** The name of an event this module publishes. */
export type IdentityEventType = (typeof IdentityEvents)[keyof typeof IdentityEvents];

declare module '../../platform/bus/typed-events.js' {
  interface EventPayloads {
    'user.registered': UserRegistered;
    'user.disabled': UserDisabled;
    'user.deleted': UserDeleted;
  }
}
