import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { type BusEvent, createMemoryBus } from './event-bus.js';

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

const waitFor = (fn: () => void) => vi.waitFor(fn, { timeout: 2_000, interval: 5 });

describe('memory event bus', () => {
  it('when an event is published, then each subscriber of its type receives it, outside the publisher call stack', async () => {
    const bus = createMemoryBus(capturingLog().log);
    const got: BusEvent[] = [];
    bus.subscribe('thing.created', (e) => {
      got.push(e);
    });
    bus.subscribe('other.type', () => {
      throw new Error('must not be called');
    });
    const published = bus.publish('thing.created', { n: 1 });
    expect(got).toHaveLength(0); // never inside the publisher's call stack, like the real bus
    await published;
    await bus.close();
    expect(got).toEqual([{ id: expect.any(String), type: 'thing.created', occurredAt: expect.any(String), payload: { n: 1 } }]);
    expect(new Date(got[0]?.occurredAt ?? '').toISOString()).toBe(got[0]?.occurredAt);
  });

  it('when an id is given, then the event keeps it (so consumers can deduplicate)', async () => {
    const bus = createMemoryBus(capturingLog().log);
    const ids: string[] = [];
    bus.subscribe('t', (e) => {
      ids.push(e.id);
    });
    await bus.publish('t', {}, 'fixed-id');
    await bus.close();
    expect(ids).toEqual(['fixed-id']);
  });

  it('when one handler throws or rejects, then the publisher does not see it, other handlers still run and the failure is logged', async () => {
    const { log, lines } = capturingLog();
    const bus = createMemoryBus(log);
    const received: string[] = [];
    bus.subscribe('t', () => {
      throw new Error('sync failure');
    });
    bus.subscribe('t', async () => {
      throw new Error('async failure');
    });
    bus.subscribe('t', () => {
      received.push('healthy');
    });
    await expect(bus.publish('t', { x: 1 }, 'evt-1')).resolves.toBeUndefined();
    await bus.close();
    expect(received).toEqual(['healthy']);
    const failures = lines.filter((l) => l.msg === 'event handler failed');
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ eventType: 't', eventId: 'evt-1', err: { message: expect.stringMatching(/failure/) } });
  });

  it('when a handler is unsubscribed, then it gets no more events', async () => {
    const bus = createMemoryBus(capturingLog().log);
    const handler = vi.fn();
    const unsubscribe = bus.subscribe('t', handler);
    await bus.publish('t', 1);
    await waitFor(() => expect(handler).toHaveBeenCalledTimes(1));
    unsubscribe();
    await bus.publish('t', 2);
    await bus.close();
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('when the bus closes, then it waits for handlers still running', async () => {
    const bus = createMemoryBus(capturingLog().log);
    let finished = false;
    bus.subscribe('slow', async () => {
      await new Promise((r) => setTimeout(r, 50));
      finished = true;
    });
    await bus.publish('slow', {});
    await bus.close();
    expect(finished).toBe(true);
  });
});
