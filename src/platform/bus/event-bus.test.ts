import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Type } from '@fastify/type-provider-typebox';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryLedger } from './delivery-ledger.js';
import { type BusEvent, createMemoryBus } from './event-bus.js';
import { type EventSchemas, typedEventBus } from './typed-events.js';

function capturingLog() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

const policy = { maxDeliveries: 3, retryBackoffMs: 1 };
const open = (log = capturingLog().log, ledger = createMemoryLedger()) => createMemoryBus({ log, ledger, policy });
const waitFor = (fn: () => void) => vi.waitFor(fn, { timeout: 2_000, interval: 5 });

describe('memory event bus', () => {
  it('when an event is published, then each subscriber of its type receives it, outside the publisher call stack', async () => {
    const bus = open();
    const got: BusEvent[] = [];
    bus.subscribe('a', 'thing.created', (e) => {
      got.push(e);
    });
    bus.subscribe('a', 'other.type', () => {
      throw new Error('must not be called');
    });
    const published = bus.publish('thing.created', { n: 1 });
    expect(got).toHaveLength(0); // never inside the publisher's call stack, like the real bus
    await published;
    await waitFor(() => expect(got).toHaveLength(1));
    await bus.close();
    expect(got).toEqual([{ id: expect.any(String), type: 'thing.created', occurredAt: expect.any(String), payload: { n: 1 } }]);
    expect(new Date(got[0]?.occurredAt ?? '').toISOString()).toBe(got[0]?.occurredAt);
  });

  it('when two modules subscribe to one type, then each receives every event', async () => {
    const bus = open();
    const seen: string[] = [];
    bus.subscribe('todos', 'user.deleted', (e) => void seen.push(`todos:${e.id}`));
    bus.subscribe('files', 'user.deleted', (e) => void seen.push(`files:${e.id}`));
    for (const id of ['e1', 'e2', 'e3']) await bus.publish('user.deleted', {}, id);
    await waitFor(() => expect(seen).toHaveLength(6));
    await bus.close();
    expect(seen.sort()).toEqual(['files:e1', 'files:e2', 'files:e3', 'todos:e1', 'todos:e2', 'todos:e3']);
  });

  it('when one module subscribes twice to one type (two starts in one process), then they share the events like replicas', async () => {
    const bus = open();
    const seen: string[] = [];
    bus.subscribe('todos', 'user.deleted', (e) => void seen.push(`first:${e.id}`));
    bus.subscribe('todos', 'user.deleted', (e) => void seen.push(`second:${e.id}`));
    for (const id of ['e1', 'e2', 'e3', 'e4']) await bus.publish('user.deleted', {}, id);
    await waitFor(() => expect(seen).toHaveLength(4));
    await bus.close();
    expect(seen.map((s) => s.split(':')[1]).sort()).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(seen.filter((s) => s.startsWith('first:'))).toHaveLength(2);
  });

  it('when the same event id is published twice, then each module handles it once', async () => {
    const bus = open();
    const handler = vi.fn();
    bus.subscribe('a', 't', handler);
    await bus.publish('t', {}, 'same');
    await waitFor(() => expect(handler).toHaveBeenCalledTimes(1));
    await bus.publish('t', {}, 'same');
    await bus.publish('t', {}, 'other');
    await waitFor(() => expect(handler).toHaveBeenCalledTimes(2));
    await bus.close();
    expect(handler.mock.calls.map(([e]) => e.id)).toEqual(['same', 'other']);
  });

  it('when a handler fails once, then the event is delivered again and the other module is not affected', async () => {
    const { log, lines } = capturingLog();
    const bus = open(log);
    let attempts = 0;
    const healthy = vi.fn();
    bus.subscribe('flaky', 't', () => {
      attempts += 1;
      if (attempts === 1) throw new Error('transient');
    });
    bus.subscribe('healthy', 't', healthy);
    await expect(bus.publish('t', { x: 1 }, 'evt-1')).resolves.toBeUndefined();
    await waitFor(() => expect(attempts).toBe(2));
    await bus.close();
    expect(healthy).toHaveBeenCalledTimes(1);
    expect(lines.filter((l) => l.msg === 'event handler failed; will retry')).toEqual([
      expect.objectContaining({
        module: 'flaky',
        eventType: 't',
        eventId: 'evt-1',
        delivery: 1,
        err: expect.objectContaining({ message: 'transient' }),
      }),
    ]);
  });

  it('when a handler always fails, then after maxDeliveries the event is a dead letter, and a redelivery after the fix handles it once', async () => {
    const ledger = createMemoryLedger();
    const bus = open(capturingLog().log, ledger);
    let broken = true;
    let attempts = 0;
    const handled: string[] = [];
    bus.subscribe('fragile', 't', (e) => {
      attempts += 1;
      if (broken) throw new Error('still broken');
      handled.push(e.id);
    });
    await bus.publish('t', { n: 1 }, 'doomed');
    await waitFor(() => expect(ledger.dead).toHaveLength(1));
    expect(attempts).toBe(policy.maxDeliveries);
    const [letter] = ledger.dead;
    expect(letter).toMatchObject({
      module: 'fragile',
      deliveries: 3,
      error: 'Error: still broken',
      event: { id: 'doomed', type: 't', payload: { n: 1 } },
    });
    broken = false;
    await bus.redeliver('fragile', letter?.event as BusEvent, 'replay-1');
    await waitFor(() => expect(handled).toEqual(['doomed']));
    await bus.close();
    expect(handled).toEqual(['doomed']);
  });

  it('when a payload fails its schema, then the typed handler never sees it and it is dead-lettered at once; a valid one arrives typed', async () => {
    const ledger = createMemoryLedger();
    const bus = open(capturingLog().log, ledger);
    // Only the one schema this test needs; the app passes every module's (src/events.ts).
    const schemas = { 'user.deleted': Type.Object({ userId: Type.String({ format: 'uuid' }) }) } as Partial<EventSchemas> as EventSchemas;
    const typed = typedEventBus(bus, schemas);
    const userIds: string[] = [];
    typed.subscribe('todos', 'user.deleted', (e) => void userIds.push(e.payload.userId));
    expect(() => typed.subscribe('todos', 'user.disabled', () => {})).toThrow(/'user.disabled' has no schema/);
    const valid = randomUUID();
    await bus.publish('user.deleted', { userId: 42 }, 'bad');
    await bus.publish('user.deleted', { userId: valid }, 'good');
    await waitFor(() => expect(userIds).toEqual([valid]));
    await waitFor(() => expect(ledger.dead).toHaveLength(1));
    await bus.close();
    expect(ledger.dead[0]).toMatchObject({
      module: 'todos',
      deliveries: 1,
      event: { id: 'bad' },
      error: expect.stringMatching(/UndeliverableEvent: payload does not match the user.deleted schema: \/userId/),
    });
  });

  it('when events sit in a handler or wait for a retry, then the lag counts them for that module and type until they are handled', async () => {
    // A retry an hour away: the failed event stays waiting for the whole test.
    const bus = createMemoryBus({
      log: capturingLog().log,
      ledger: createMemoryLedger(),
      policy: { maxDeliveries: 3, retryBackoffMs: 3_600_000 },
    });
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: string[] = [];
    const slow = async (e: BusEvent) => {
      await gate;
      handled.push(e.id);
    };
    bus.subscribe('slow', 'user.deleted', slow);
    bus.subscribe('slow', 'user.deleted', slow);
    bus.subscribe('quick', 'user.deleted', () => {});
    bus.subscribe('flaky', 'user.created', () => {
      throw new Error('fails until the retry');
    });
    // Released however the test ends: closing the bus waits for the held handlers.
    try {
      for (const id of ['e1', 'e2', 'e3']) await bus.publish('user.deleted', {}, id);
      await bus.publish('user.created', {}, 'c1');
      const lagOf = async () => Object.fromEntries((await bus.lag()).map((l) => [`${l.module} ${l.type}`, l.events]));
      // One entry for the two subscriptions of `slow`, which share the events like replicas.
      await waitFor(async () =>
        expect(await lagOf()).toEqual({ 'slow user.deleted': 3, 'quick user.deleted': 0, 'flaky user.created': 1 }),
      );
      release();
      await waitFor(() => expect(handled).toHaveLength(3));
      await waitFor(async () =>
        expect(await lagOf()).toEqual({ 'slow user.deleted': 0, 'quick user.deleted': 0, 'flaky user.created': 1 }),
      );
    } finally {
      release();
      await bus.close();
    }
  });

  it('when a handler gives up on an event (dead letter), then it no longer counts as lag', async () => {
    const ledger = createMemoryLedger();
    const bus = open(capturingLog().log, ledger);
    bus.subscribe('fragile', 't', () => {
      throw new Error('always broken');
    });
    await bus.publish('t', {}, 'doomed');
    await waitFor(() => expect(ledger.dead).toHaveLength(1));
    await waitFor(async () => expect(await bus.lag()).toEqual([{ module: 'fragile', type: 't', events: 0 }]));
    await bus.close();
  });

  it('when a handler is unsubscribed, then it gets no more events', async () => {
    const bus = open();
    const handler = vi.fn();
    const unsubscribe = bus.subscribe('a', 't', handler);
    await bus.publish('t', 1);
    await waitFor(() => expect(handler).toHaveBeenCalledTimes(1));
    unsubscribe();
    await bus.publish('t', 2);
    await bus.close();
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('when the bus closes, then it waits for handlers still running', async () => {
    const bus = open();
    let finished = false;
    bus.subscribe('a', 'slow', async () => {
      await new Promise((r) => setTimeout(r, 50));
      finished = true;
    });
    await bus.publish('slow', {});
    await bus.close();
    expect(finished).toBe(true);
  });
});
