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
  sessionChanged: 'session.changed',
} as const;

const UserRef = Type.Object({ userId: Type.String({ format: 'uuid' }) });

/** Event type -> payload schema. */
export const IdentityEventMap = {
  [IdentityEvents.userRegistered]: Type.Object({ userId: Type.String({ format: 'uuid' }), email: Type.String() }),
  [IdentityEvents.userDisabled]: UserRef,
  [IdentityEvents.userDeleted]: UserRef,
  /**
   * A session was revoked or its user's role changed. `role` null: the session is gone (its
   * tokens must be refused); a role: it lives on, and only tokens of that role are good.
   * Services other than identity mirror these to refuse revoked tokens without asking identity.
   */
  [IdentityEvents.sessionChanged]: Type.Object({
    sid: Type.String({ format: 'uuid' }),
    userId: Type.String({ format: 'uuid' }),
    role: Type.Union([Type.Literal('user'), Type.Literal('admin'), Type.Null()]),
  }),
};

export type UserRegistered = Static<(typeof IdentityEventMap)['user.registered']>;
export type UserDisabled = Static<(typeof IdentityEventMap)['user.disabled']>;
export type UserDeleted = Static<(typeof IdentityEventMap)['user.deleted']>;
export type SessionChanged = Static<(typeof IdentityEventMap)['session.changed']>;

/** The name of an event this module publishes. */
export type IdentityEventType = (typeof IdentityEvents)[keyof typeof IdentityEvents];

declare module '../../platform/bus/typed-events.js' {
  interface EventPayloads {
    'user.registered': UserRegistered;
    'user.disabled': UserDisabled;
    'user.deleted': UserDeleted;
    'session.changed': SessionChanged;
  }
}
