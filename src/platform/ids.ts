/** Identifiers: UUIDv7, time-ordered so primary-key indexes stay compact and ids sort by creation. */
import { v7 } from 'uuid';

/** A new UUIDv7. */
export const newId = (): string => v7();
