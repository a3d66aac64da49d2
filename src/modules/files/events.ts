/**
 * Events the files module publishes through the outbox, in the transaction that makes the
 * change. `FilesEventMap` is the contract: subscribers get payloads checked against it.
 */
import { Type } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';

export const FilesEvents = {
  fileDeleted: 'file.deleted',
} as const;

/** Event type -> payload schema. */
export const FilesEventMap = {
  /** A file is gone (deleted by its owner or an admin, or with its owner's account). */
  [FilesEvents.fileDeleted]: Type.Object({ fileId: Type.String({ format: 'uuid' }), ownerId: Type.String({ format: 'uuid' }) }),
};

export type FileDeleted = Static<(typeof FilesEventMap)['file.deleted']>;

/** The name of an event this module publishes. */
export type FilesEventType = (typeof FilesEvents)[keyof typeof FilesEvents];

declare module '../../platform/bus/typed-events.js' {
  interface EventPayloads {
    'file.deleted': FileDeleted;
  }
}
