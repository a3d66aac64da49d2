import { eq, isNull } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { openTestDatabase } from '../../../test/test-databases.js';
import type { Database } from '../db/database.js';
import { createLogger } from '../log.js';
import { createMemoryLedger } from './delivery-ledger.js';
import { type BusEvent, createMemoryBus, type EventBus } from './event-bus.js';
import { createOutboxRelay, enqueueEvent, enqueueEvents } from './outbox.js';
import { outboxEvents } from './tables.js';

const log = createLogger('silent');

/** The outbox moves any event; these tests use one of their own. */
type TestEvents = { 'thing.happened': { n?: number } };

describe('transactional outbox', () => {
  let database: Database;
  let bus: EventBus;
  let seen: BusEvent[];

  beforeEach(async () => {
    database = await openTestDatabase(inject('testTemplate'));
    bus = createMemoryBus({ log, ledger: createMemoryLedger(), policy: { maxDeliveries: 3, retryBackoffMs: 1 } });
    seen = [];
    bus.subscribe('test', 'thing.happened', (e) => {
      seen.push(e);
    });
  });
  afterEach(async () => {
    await bus.close();
    await database.close();
  });

  const relayOf = (b: EventBus = bus) => createOutboxRelay({ db: database.db, bus: b, log, pollIntervalMs: 60_000 });
  const delivered = () => new Promise((r) => setTimeout(r, 10));

  it('when the transaction commits, then the event is published once, with the row id, and marked sent', async () => {
    const relay = relayOf();
    relay.start();
    const id = await database.db.transaction((tx) => enqueueEvent<TestEvents>(tx, 'thing.happened', { n: 1 }));
    await relay.flush();
    await relay.flush();
    await delivered();
    expect(seen).toEqual([expect.objectContaining({ id, type: 'thing.happened', payload: { n: 1 } })]);
    const [row] = await database.db.select().from(outboxEvents).where(eq(outboxEvents.id, id));
    expect(row?.sentAt).toBeInstanceOf(Date);
    await relay.stop();
  });

  it('when the transaction rolls back, then nothing is published', async () => {
    const relay = relayOf();
    relay.start();
    await expect(
      database.db.transaction(async (tx) => {
        await enqueueEvent<TestEvents>(tx, 'thing.happened', { n: 1 });
        throw new Error('business rule broken');
      }),
    ).rejects.toThrow('business rule broken');
    await relay.flush();
    await delivered();
    expect(seen).toEqual([]);
    expect(await database.db.select().from(outboxEvents)).toEqual([]);
    await relay.stop();
  });

  it('when the relay is not kicked, then polling publishes the rows in id order', async () => {
    const relay = createOutboxRelay({ db: database.db, bus, log, pollIntervalMs: 20, batchSize: 7 });
    await database.db.transaction((tx) =>
      enqueueEvents<TestEvents>(
        tx,
        Array.from({ length: 30 }, (_, n) => ({ type: 'thing.happened', payload: { n } })),
      ),
    );
    relay.start();
    await expect.poll(() => seen.length).toBe(30);
    expect(seen.map((e) => (e.payload as { n: number }).n)).toEqual(Array.from({ length: 30 }, (_, n) => n));
    await relay.stop();
  });

  it('when publishing fails, then the row stays unsent, counts the attempt, and goes out on a later run', async () => {
    let fail = true;
    const flaky: EventBus = {
      ...bus,
      publish: (type, payload, id) => (fail ? Promise.reject(new Error('bus down')) : bus.publish(type, payload, id)),
    };
    const relay = relayOf(flaky);
    relay.start();
    await database.db.transaction((tx) => enqueueEvent<TestEvents>(tx, 'thing.happened', {}));
    await relay.flush();
    const [row] = await database.db.select().from(outboxEvents);
    // start() drains at once and flush() drains again: one or two failed attempts, by timing.
    expect(row?.sentAt).toBeNull();
    expect(row?.attempts).toBeGreaterThanOrEqual(1);
    fail = false;
    await relay.flush();
    await delivered();
    expect(seen).toHaveLength(1);
    await relay.stop();
  });

  it.runIf(process.env.TEST_DATABASE_URL)('when several relays drain at once, then every event is published exactly once', async () => {
    await database.db.transaction((tx) =>
      enqueueEvents<TestEvents>(
        tx,
        Array.from({ length: 500 }, (_, n) => ({ type: 'thing.happened', payload: { n } })),
      ),
    );
    const relays = Array.from({ length: 4 }, () => createOutboxRelay({ db: database.db, bus, log, pollIntervalMs: 60_000, batchSize: 10 }));
    for (const r of relays) r.start();
    await Promise.all(relays.map((r) => r.flush()));
    await delivered();
    expect(seen).toHaveLength(500);
    expect(new Set(seen.map((e) => e.id)).size).toBe(500);
    expect(await database.db.select().from(outboxEvents).where(isNull(outboxEvents.sentAt))).toEqual([]);
    await Promise.all(relays.map((r) => r.stop()));
  });
});
