/**
 * The event consumer lag gauge, scraped from a running app on both bus engines: an event that a
 * module has not yet handled shows under that module and event type, and leaves once handled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { natsUrl, privateStreams } from '../../../test/nats-streams.js';
import { parsePrometheusText } from '../../../test/prometheus-text.js';
import { createProduct, eventually, orderOf } from '../../../test/shop-fixtures.js';
import { createTestApp, type TestApp } from '../../../test/test-app.js';

const streams = privateStreams();
const ENGINES = [
  { engine: 'in-process', run: true, env: (): Record<string, string> => ({}) },
  { engine: 'NATS JetStream', run: Boolean(natsUrl), env: (): Record<string, string> => streams.env() },
];
const CONSUMER = { module: 'lag-test', event_type: 'order.created' };

describe.each(ENGINES)('event consumer lag on $engine', ({ run, env }) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await streams.deleteAll();
  });

  it.runIf(run)('when a module has not yet handled an event, then its lag counts it, and drops to 0 once it has', async () => {
    const app = await createTestApp({ env: { METRICS_PORT: '0', ...env() } });
    t = app;
    const lag = async () => {
      const res = await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`);
      return parsePrometheusText(await res.text()).value('zaplecze_event_consumer_lag_events', CONSUMER);
    };
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let handled = 0;
    const stop = app.platform.bus.subscribe(CONSUMER.module, 'order.created', async () => {
      await gate;
      handled += 1;
    });
    try {
      await app.platform.bus.ready();
      expect(await lag()).toBe(0);
      const admin = await app.admin();
      const user = await app.createUser();
      const product = await createProduct(app, admin, { stock: 5 });
      await orderOf(app, user, product.id, 1);
      // Through the outbox and the bus to the held handler.
      expect(await eventually(lag, (n) => n === 1, 'a lag of 1')).toBe(1);
      release();
      expect(await eventually(lag, (n) => n === 0, 'the lag back at 0')).toBe(0);
      expect(handled).toBe(1);
    } finally {
      release();
      stop();
    }
  });
});
