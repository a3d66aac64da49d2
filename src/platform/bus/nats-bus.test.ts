import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import type { BusEvent, EventBus } from './event-bus.js';
import { createNatsBus } from './nats-bus.js';

const url = process.env.TEST_NATS_URL;
const log = createLogger('silent');

/** Resolves with the first `count` events a handler receives. */
function collector(count: number) {
  const events: BusEvent[] = [];
  let resolve: (e: BusEvent[]) => void = () => {};
  const done = new Promise<BusEvent[]>((r) => {
    resolve = r;
  });
  return {
    events,
    done,
    handler: (e: BusEvent) => {
      events.push(e);
      if (events.length >= count) resolve(events);
    },
  };
}

const within = <T>(p: Promise<T>, ms = 5000) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))]);

describe.runIf(url)('NATS JetStream event bus', () => {
  const stream = `TEST_${randomBytes(4).toString('hex')}`;
  const buses: EventBus[] = [];
  const open = async (group: string) => {
    const bus = await createNatsBus({ url: url as string, stream, group, log });
    buses.push(bus);
    return bus;
  };

  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  afterAll(async () => {
    const nc = await connect({ servers: url });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(stream).catch(() => {});
    await nc.close();
  });

  it('when an event is published, then a subscriber receives its id, type and payload', async () => {
    const bus = await open('api');
    const got = collector(1);
    bus.subscribe('product.created', got.handler);
    await bus.ready();
    await bus.publish('product.created', { productId: 'p1' }, 'evt-1');
    const [event] = await within(got.done);
    expect(event).toMatchObject({ id: 'evt-1', type: 'product.created', payload: { productId: 'p1' } });
  });

  it('when the same event id is published twice, then it is delivered once', async () => {
    const bus = await open('api');
    const got = collector(2);
    bus.subscribe('order.paid', got.handler);
    await bus.ready();
    await bus.publish('order.paid', { n: 1 }, 'dup-1');
    await bus.publish('order.paid', { n: 1 }, 'dup-1');
    await bus.publish('order.paid', { n: 2 }, 'other-2');
    const events = await within(got.done);
    await new Promise((r) => setTimeout(r, 300));
    expect(got.events.map((e) => e.id)).toEqual(['dup-1', 'other-2']);
    expect(events).toHaveLength(2);
  });

  it('when two deployables subscribe, then each gets every event; replicas of one share them', async () => {
    const shopA = await open('shop');
    const shopB = await open('shop');
    const realtime = await open('realtime');
    const shopSeen: string[] = [];
    const rt = collector(10);
    shopA.subscribe('stock.changed', (e) => void shopSeen.push(`a:${e.id}`));
    shopB.subscribe('stock.changed', (e) => void shopSeen.push(`b:${e.id}`));
    realtime.subscribe('stock.changed', rt.handler);
    await Promise.all([shopA.ready(), shopB.ready(), realtime.ready()]);
    for (let i = 0; i < 10; i++) await shopA.publish('stock.changed', { i }, `s-${stream}-${i}`);
    await within(rt.done);
    for (let i = 0; i < 50 && shopSeen.length < 10; i++) await new Promise((r) => setTimeout(r, 50));
    expect(rt.events).toHaveLength(10);
    // Each event handled by exactly one shop replica.
    const ids = shopSeen.map((s) => s.slice(2)).sort();
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => `s-${stream}-${i}`).sort());
  });

  it('when a handler fails, then the event is delivered again', async () => {
    const bus = await open('mailer');
    let attempts = 0;
    const done = new Promise<void>((resolve) => {
      bus.subscribe('user.registered', () => {
        attempts += 1;
        if (attempts === 1) throw new Error('transient');
        resolve();
      });
    });
    await bus.ready();
    await bus.publish('user.registered', { userId: 'u1' });
    await within(done, 8000);
    expect(attempts).toBe(2);
  });
});
