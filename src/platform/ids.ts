/** Identifiers: UUIDv7, time-ordered so primary-key indexes stay compact and ids sort by creation. */
import { v7 } from 'uuid';

/** A new UUIDv7. */
export const newId = (): string => v7();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for any UUID in its canonical text form: check an id before it reaches a `uuid` column (PostgreSQL rejects others). */
export const isUuid = (value: string): boolean => UUID.test(value);
