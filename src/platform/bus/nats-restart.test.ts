import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { natsServerInstalled, type PrivateNatsServer, startPrivateNatsServer } from '../../../test/nats-server.js';
import { createTestApp, type TestApp } from '../../../test/test-app.js';
import { createLogger } from '../log.js';
import { createMemoryLedger } from './delivery-ledger.js';
import { createNatsBus } from './nats-bus.js';
import { enqueueEvent } from './outbox.js';

const waitFor = (fn: () => unknown, timeout = 30_000) => vi.waitFor(fn, { timeout, interval: 50 });

describe.runIf(process.env.TEST_NATS_URL && natsServerInstalled)('NATS restarted under a stream of events', () => {
  let nats: PrivateNatsServer | undefined;
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    await nats?.dispose();
    t = undefined;
    nats = undefined;
  });

  it('when the bus closes while NATS is down, then close resolves (shutdown does not hang)', async () => {
    nats = await startPrivateNatsServer();
    const bus = await createNatsBus({
      url: nats.url,
      stream: 'CLOSETEST',
      connectionName: 'test',
      ledger: createMemoryLedger(),
      policy: { maxDeliveries: 3, retryBackoffMs: 10 },
      log: createLogger('silent'),
    });
    bus.subscribe('alpha', 'tick.happened', () => {});
    await bus.ready();
    await nats.kill();
    await waitFor(async () =>
      expect(
        await bus.check().then(
          () => 'ok',
          (err: Error) => err.message,
        ),
      ).toBe('disconnected from NATS'),
    );
    await expect(bus.close()).resolves.toBeUndefined();
  });

  it('when NATS goes down, then a follower is not current; once it is back, the follower is current again and gets new events', async () => {
    nats = await startPrivateNatsServer();
    const open = () =>
      createNatsBus({
        url: (nats as PrivateNatsServer).url,
        stream: 'FOLLOWTEST',
        connectionName: 'test',
        ledger: createMemoryLedger(),
        policy: { maxDeliveries: 3, retryBackoffMs: 10 },
        log: createLogger('silent'),
      });
    const [following, publishing] = [await open(), await open()];
    try {
      const seen: string[] = [];
      const follower = following.follow('tick.happened', { since: new Date() }, (e) => void seen.push(e.id));
      await waitFor(() => expect(follower.current()).toBe(true));
      await publishing.publish('tick.happened', {}, 'before');
      await waitFor(() => expect(seen).toEqual(['before']));
      await nats.kill();
      await waitFor(() => expect(follower.current()).toBe(false));
      await nats.start();
      // Published by the other process once the server is back, before the follower has it.
      await waitFor(() => publishing.publish('tick.happened', {}, 'after'));
      await waitFor(() => expect(follower.current()).toBe(true));
      await waitFor(() => expect(seen).toEqual(['before', 'after']));
    } finally {
      await following.close();
      await publishing.close();
    }
  }, 60_000);

  it('when NATS is killed and restarted while events are committed, then none is lost, none is handled twice per module, and readiness is 503 while disconnected, then 200', async () => {
    nats = await startPrivateNatsServer();
    t = await createTestApp({ modules: [], env: { NATS_URL: nats.url, EVENT_RETRY_BACKOFF: '50ms' } });
    const app = t;
    const handled: Record<'alpha' | 'beta', string[]> = { alpha: [], beta: [] };
    for (const module of ['alpha', 'beta'] as const)
      app.platform.bus.subscribe(module, 'user.registered', (e) => void handled[module].push(e.id));
    await app.platform.bus.ready();
    // The platform's own relay publishes what commits; it was started with the app.
    const relay = app.platform.relay;
    const sent: string[] = [];
    const commit = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const event = { userId: randomUUID(), email: `u${sent.length}@example.com` };
        sent.push(await app.platform.db.transaction((tx) => enqueueEvent(tx, 'user.registered', event)));
        relay.kick();
      }
    };
    const readiness = async () => (await app.request({ method: 'GET', url: '/health/ready' })).statusCode;

    expect(await readiness()).toBe(200);
    await commit(20);
    await waitFor(() => expect(handled.alpha.length).toBeGreaterThan(0));
    await nats.kill();
    await waitFor(async () => expect(await readiness()).toBe(503));
    await commit(20); // committed while NATS is down: they wait in the outbox
    await nats.start();
    await waitFor(async () => expect(await readiness()).toBe(200));
    await commit(20);
    await waitFor(() => {
      expect(new Set(handled.alpha)).toEqual(new Set(sent));
      expect(new Set(handled.beta)).toEqual(new Set(sent));
    });
    expect(handled.alpha).toHaveLength(60);
    expect(handled.beta).toHaveLength(60);
  }, 120_000);
});
