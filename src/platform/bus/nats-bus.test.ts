import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../log.js';
import { createMemoryLedger } from './delivery-ledger.js';
import type { BusEvent, EventBus } from './event-bus.js';
import { createNatsBus } from './nats-bus.js';

const url = process.env.TEST_NATS_URL;
const log = createLogger('silent');
const policy = { maxDeliveries: 3, retryBackoffMs: 50 };
const waitFor = (fn: () => void, timeout = 10_000) => vi.waitFor(fn, { timeout, interval: 20 });

describe.runIf(url)('NATS JetStream event bus', () => {
  const stream = `TEST_${randomBytes(4).toString('hex')}`;
  const buses: EventBus[] = [];
  // One ledger per test, shared by its buses as the replicas share the database.
  let ledger = createMemoryLedger();
  const open = async () => {
    const bus = await createNatsBus({ url: url as string, stream, connectionName: 'test', ledger, policy, log });
    buses.push(bus);
    return bus;
  };
  /** Event ids unique to this run: the stream outlives a test, and every module reads it from the start. */
  const ids = (n: number) => Array.from({ length: n }, () => `e-${randomBytes(6).toString('hex')}`);
  const type = () => `t${randomBytes(4).toString('hex')}.happened`;

  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
    ledger = createMemoryLedger();
  });

  afterAll(async () => {
    const nc = await connect({ servers: url });
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => {});
    await nc.close();
  });

  it('when an event is published, then a subscriber receives its id, type and payload, and the bus reports ready', async () => {
    const bus = await open();
    const t = type();
    const got: BusEvent[] = [];
    bus.subscribe('catalog', t, (e) => void got.push(e));
    await bus.ready();
    await expect(bus.check()).resolves.toBeUndefined();
    const [id] = ids(1);
    await bus.publish(t, { productId: 'p1' }, id);
    await waitFor(() => expect(got).toHaveLength(1));
    expect(got[0]).toMatchObject({ id, type: t, payload: { productId: 'p1' } });
  });

  it('when two modules of one process subscribe to one type, then each gets every event; replicas of one module share them', async () => {
    const replicaA = await open();
    const replicaB = await open();
    const t = type();
    const seen: string[] = [];
    for (const [bus, name] of [
      [replicaA, 'a'],
      [replicaB, 'b'],
    ] as const) {
      bus.subscribe('todos', t, (e) => void seen.push(`todos:${e.id}`));
      bus.subscribe('files', t, (e) => void seen.push(`files:${e.id}`));
      bus.subscribe(`only-${name}`, t, (e) => void seen.push(`only-${name}:${e.id}`));
    }
    await Promise.all([replicaA.ready(), replicaB.ready()]);
    const sent = ids(10);
    for (const id of sent) await replicaA.publish(t, {}, id);
    await waitFor(() => expect(seen).toHaveLength(40));
    for (const module of ['todos', 'files', 'only-a', 'only-b']) {
      expect(
        seen
          .filter((s) => s.startsWith(`${module}:`))
          .map((s) => s.slice(module.length + 1))
          .sort(),
      ).toEqual([...sent].sort());
    }
  });

  it('when the same event id is published twice, then it is handled once', async () => {
    const bus = await open();
    const t = type();
    const seen: string[] = [];
    bus.subscribe('shop', t, (e) => void seen.push(e.id));
    await bus.ready();
    const [dup, other] = ids(2) as [string, string];
    await bus.publish(t, { n: 1 }, dup);
    await bus.publish(t, { n: 1 }, dup);
    await bus.publish(t, { n: 2 }, other);
    await waitFor(() => expect(seen).toContain(other));
    expect(seen).toEqual([dup, other]);
  });

  it('when a module subscribes after events were published, then it still receives them', async () => {
    const publisher = await open();
    const t = type();
    const sent = ids(3);
    for (const id of sent) await publisher.publish(t, {}, id);
    const late = await open();
    const seen: string[] = [];
    late.subscribe('latecomer', t, (e) => void seen.push(e.id));
    await late.ready();
    await waitFor(() => expect(seen).toEqual(sent));
  });

  it('when a handler fails once, then the event is delivered again', async () => {
    const bus = await open();
    const t = type();
    let attempts = 0;
    bus.subscribe('mailer', t, () => {
      attempts += 1;
      if (attempts === 1) throw new Error('transient');
    });
    await bus.ready();
    await bus.publish(t, { userId: 'u1' });
    await waitFor(() => expect(attempts).toBe(2));
    expect(ledger.dead).toEqual([]);
  });

  it('when a handler always fails, then it ends in the dead letters after maxDeliveries, and a replay reaches only that module, once', async () => {
    const bus = await open();
    const t = type();
    let broken = true;
    const attempts: string[] = [];
    const handled: string[] = [];
    bus.subscribe('fragile', t, (e) => {
      attempts.push(e.id);
      if (broken) throw new Error('still broken');
      handled.push(e.id);
    });
    const bystander: string[] = [];
    bus.subscribe('bystander', t, (e) => void bystander.push(e.id));
    await bus.ready();
    const [id] = ids(1) as [string];
    await bus.publish(t, { n: 1 }, id);
    await waitFor(() => expect(ledger.dead).toHaveLength(1));
    expect(attempts).toEqual([id, id, id]);
    expect(ledger.dead[0]).toMatchObject({
      module: 'fragile',
      deliveries: 3,
      error: 'Error: still broken',
      event: { id, payload: { n: 1 } },
    });

    broken = false;
    await bus.redeliver('fragile', ledger.dead[0]?.event as BusEvent, 'replay-1');
    await bus.redeliver('fragile', ledger.dead[0]?.event as BusEvent, 'replay-1'); // a double click
    await waitFor(() => expect(handled).toEqual([id]));
    // A later event proves the consumers moved past the replays without handling them again.
    const [after] = ids(1) as [string];
    await bus.publish(t, {}, after);
    await waitFor(() => expect(bystander).toEqual([id, after]));
    await waitFor(() => expect(handled).toEqual([id, after]));
  });

  it('when events wait for a busy handler, then the lag counts them per module and type (a shared durable once) until they are acked', async () => {
    const bus = await open();
    const t = type();
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: string[] = [];
    const slow = async (e: BusEvent) => {
      await gate;
      handled.push(e.id);
    };
    bus.subscribe('slow', t, slow);
    bus.subscribe('slow', t, slow);
    bus.subscribe('quick', t, () => {});
    await bus.ready();
    // Released however the test ends: closing the bus waits for the held handlers.
    try {
      for (const id of ids(4)) await bus.publish(t, {}, id);
      const lagOf = async () => Object.fromEntries((await bus.lag()).map((l) => [`${l.module} ${l.type}`, l.events]));
      await waitFor(async () => expect(await lagOf()).toEqual({ [`slow ${t}`]: 4, [`quick ${t}`]: 0 }));
      release();
      await waitFor(() => expect(handled).toHaveLength(4));
      await waitFor(async () => expect(await lagOf()).toEqual({ [`slow ${t}`]: 0, [`quick ${t}`]: 0 }));
    } finally {
      release();
    }
  });

  it('when a failed event waits for its retry, then it still counts as lag', async () => {
    // A retry an hour away: the nak'ed event waits on the server for the whole test.
    const bus = await createNatsBus({
      url: url as string,
      stream,
      connectionName: 'test',
      ledger,
      policy: { maxDeliveries: 3, retryBackoffMs: 3_600_000 },
      log,
    });
    buses.push(bus);
    const t = type();
    let attempts = 0;
    bus.subscribe('flaky', t, () => {
      attempts += 1;
      throw new Error('fails until the retry');
    });
    await bus.ready();
    await bus.publish(t, {});
    await waitFor(() => expect(attempts).toBe(1));
    // Delivered and nak'ed with a delay: the server holds it as unacknowledged until the redelivery.
    await waitFor(async () => expect(await bus.lag()).toEqual([{ module: 'flaky', type: t, events: 1 }]));
  });

  describe('follow (broadcast)', () => {
    it('when a follower starts from a past time, then it gets the events since then (not older ones), becomes current, and then gets new ones', async () => {
      const bus = await open();
      const t = type();
      const [old] = ids(1) as [string];
      await bus.publish(t, { n: 0 }, old);
      // Stream timestamps are the server's: leave a clear gap on either side of `since`.
      await new Promise((r) => setTimeout(r, 50));
      const since = new Date();
      await new Promise((r) => setTimeout(r, 50));
      const recent = ids(3);
      for (const id of recent) await bus.publish(t, {}, id);
      const seen: string[] = [];
      const follower = bus.follow(t, { since }, (e) => void seen.push(e.id));
      await waitFor(() => expect(follower.current()).toBe(true));
      expect(seen).toEqual(recent);
      const [later] = ids(1) as [string];
      await bus.publish(t, {}, later);
      await waitFor(() => expect(seen).toEqual([...recent, later]));
      await follower.stop();
      expect(follower.current()).toBe(false);
    });

    it('when two processes follow one type, then each gets every event (a subscription would share them)', async () => {
      const [a, b] = [await open(), await open()];
      const t = type();
      const seen = { a: [] as string[], b: [] as string[] };
      const followers = [
        a.follow(t, { since: new Date() }, (e) => void seen.a.push(e.id)),
        b.follow(t, { since: new Date() }, (e) => void seen.b.push(e.id)),
      ];
      await waitFor(() => expect(followers.every((f) => f.current())).toBe(true));
      const sent = ids(5);
      for (const id of sent) await a.publish(t, {}, id);
      await waitFor(() => expect(seen).toEqual({ a: sent, b: sent }));
      // Followers ack nothing and leave no trace in the delivery ledger or the dead letters.
      expect(ledger.dead).toEqual([]);
    });

    it('when a follower handler throws, then the follower moves on to the next event', async () => {
      const bus = await open();
      const t = type();
      const handled: string[] = [];
      const [bad, good] = ids(2) as [string, string];
      const follower = bus.follow(t, { since: new Date() }, (e) => {
        if (e.id === bad) throw new Error('broken handler');
        handled.push(e.id);
      });
      await waitFor(() => expect(follower.current()).toBe(true));
      await bus.publish(t, {}, bad);
      await bus.publish(t, {}, good);
      await waitFor(() => expect(handled).toEqual([good]));
      expect(follower.current()).toBe(true);
    });
  });
});
