import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectChat, createRoom, listen, say, subscribe, waitFor } from '../../../test/chat-fixtures.js';
import { parsePrometheusText } from '../../../test/prometheus-text.js';
import { API, createProduct, eventually, orderOf, orderReaches } from '../../../test/shop-fixtures.js';
import { createTestApp, type TestApp } from '../../../test/test-app.js';
import { outboxEvents } from '../bus/tables.js';
import { newId } from '../ids.js';

const LOGIN = { http_request_method: 'POST', http_route: `${API}/auth/login` };

describe('metrics over a user journey', () => {
  let t: TestApp;
  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${t.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    return parsePrometheusText(await res.text());
  };
  const count = (text: Awaited<ReturnType<typeof scrape>>, labels: Record<string, string>) =>
    text.value('http_server_request_duration_seconds_count', labels) ?? 0;

  beforeAll(async () => {
    // Few, fast redeliveries, so a failing handler dead-letters its event within the test.
    t = await createTestApp({ env: { METRICS_PORT: '0', EVENT_MAX_DELIVERIES: '2', EVENT_RETRY_BACKOFF: '1ms' } });
  });
  let closed = false;
  afterAll(async () => {
    if (!closed) await t?.close();
  });

  it('when the metrics are on, then the public port does not serve them', async () => {
    expect(t.metricsPort).toEqual(expect.any(Number));
    expect((await t.request({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
  });

  it('when a user registers, logs in, fails a login, browses and checks out, then the series count each step with bounded labels', async () => {
    const admin = await t.admin();
    const product = await createProduct(t, admin, { stock: 5 });
    const before = await scrape();

    const user = await t.createUser(); // register + a successful login
    const failed = await t.request({
      method: 'POST',
      url: `${API}/auth/login`,
      payload: { email: user.email, password: 'not the password' },
    });
    expect(failed.statusCode).toBe(401);
    expect((await t.request({ method: 'GET', url: `${API}/products` })).statusCode).toBe(200);
    expect((await t.request({ method: 'GET', url: `${API}/products/${product.id}` })).statusCode).toBe(200);
    expect((await t.request({ method: 'GET', url: '/no-such-place-4711' })).statusCode).toBe(404);
    const order = await orderOf(t, user, product.id, 1);
    const settled = await t.request({
      method: 'POST',
      url: `${API}/payments/sandbox/${order.payment.reference}/succeed`,
      token: user.token,
    });
    expect(settled.statusCode).toBe(202);
    await orderReaches(t, user, order.id, 'paid');

    const after = await scrape();
    // The login route: two requests, one answered 200 and one 401, under its template.
    expect(
      count(after, { ...LOGIN, http_response_status_code: '200' }) - count(before, { ...LOGIN, http_response_status_code: '200' }),
    ).toBe(1);
    expect(
      count(after, { ...LOGIN, http_response_status_code: '401' }) - count(before, { ...LOGIN, http_response_status_code: '401' }),
    ).toBe(1);
    expect(count(after, { http_route: `${API}/products`, http_response_status_code: '200' })).toBeGreaterThanOrEqual(1);
    expect(count(after, { http_route: `${API}/products/:id`, http_response_status_code: '200' })).toBeGreaterThanOrEqual(1);
    // Never the raw URL: no product id and no unknown path becomes a label value.
    const routes = new Set(after.find('http_server_request_duration_seconds_count').map((s) => s.labels.http_route));
    expect([...routes].filter((r) => r?.includes(product.id) || r?.includes('no-such-place'))).toEqual([]);
    const unmatched = { http_request_method: 'GET', http_route: 'unmatched', http_response_status_code: '404' };
    expect(count(after, unmatched) - count(before, unmatched)).toBe(1);
    expect(after.value('http_server_active_requests')).toBe(0);

    const delta = (name: string, labels?: Record<string, string>) => (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
    expect(delta('zaplecze_identity_login_failures_total')).toBe(1);
    expect(after.value('zaplecze_identity_login_locked_total')).toBe(0);
    expect(delta('zaplecze_shop_checkouts_total', { outcome: 'placed' })).toBe(1);
    expect(delta('zaplecze_shop_payment_events_total', { status: 'succeeded' })).toBe(1);
    // Every SQL statement is timed by operation and table: the checkout read and wrote orders.
    const onTable = (text: typeof after, table: string) =>
      text
        .find('db_client_operation_duration_seconds_count')
        .filter((series) => series.labels.db_collection_name === table)
        .reduce((sum, series) => sum + series.value, 0);
    expect(onTable(after, 'orders') - onTable(before, 'orders')).toBeGreaterThanOrEqual(2);
    expect(
      after.value('db_client_operation_duration_seconds_count', { db_operation_name: 'SELECT', db_collection_name: 'products' }),
    ).toBeGreaterThan(0);
  });

  it('when scraped, then the platform, runtime and chat gauges are there', async () => {
    const text = await scrape();
    expect(text.value('zaplecze_outbox_backlog_events')).toEqual(expect.any(Number));
    expect(text.value('zaplecze_outbox_oldest_unsent_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(text.types.get('zaplecze_dead_letters')).toBe('gauge');
    // Every module's subscriptions, each with a value (0 when idle), under module and event type.
    expect(text.value('zaplecze_event_consumer_lag_events', { module: 'shop', event_type: 'user.deleted' })).toEqual(expect.any(Number));
    expect(text.value('zaplecze_password_hash_queue_length')).toBe(0);
    expect(text.value('zaplecze_event_bus_connected')).toBe(1);
    expect(text.value('zaplecze_chat_open_sockets')).toBe(0);
    expect(text.value('zaplecze_chat_messages_total')).toBe(0);
    // The pool and Redis gauges exist only where those engines run (TEST_DATABASE_URL, TEST_REDIS_URL).
    if (t.platform.database.engine === 'postgres') {
      expect(text.find('zaplecze_db_pool_connections').map((s) => s.labels.state)).toEqual(['in_use', 'idle', 'waiting']);
    } else {
      expect(text.types.has('zaplecze_db_pool_connections')).toBe(false);
    }
    if (t.platform.redis) expect(text.value('zaplecze_redis_connected')).toBe(1);
    expect(text.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(text.types.get('process_cpu_seconds_total')).toBe('counter');
  });

  it('when a module dead-letters an event, then the dead-letter gauge counts it for that module and event type', async () => {
    const stop = t.platform.bus.subscribe('metrics-test', 'order.created', async () => {
      throw new Error('this handler always fails');
    });
    try {
      const admin = await t.admin();
      const user = await t.createUser();
      const product = await createProduct(t, admin, { stock: 5 });
      await orderOf(t, user, product.id, 1);
      const dead = await eventually(
        async () => (await scrape()).value('zaplecze_dead_letters', { module: 'metrics-test', event_type: 'order.created' }),
        (n) => n !== undefined,
        'a dead letter of metrics-test',
      );
      expect(dead).toBe(1);
    } finally {
      stop();
    }
  });

  it('when a chat socket is open and a message is sent twice with one client id, then one socket and one message are counted', async () => {
    const base = await listen(t);
    const user = await t.createUser();
    const room = await createRoom(t, user);
    const before = (await scrape()).value('zaplecze_chat_messages_total') ?? 0;
    const client = await connectChat(t, base, user);
    try {
      await subscribe(client, room);
      await say(client, room, 'hello', 'same-message');
      await say(client, room, 'hello', 'same-message');
      const open = await scrape();
      expect(open.value('zaplecze_chat_open_sockets')).toBe(1);
      expect((open.value('zaplecze_chat_messages_total') ?? 0) - before).toBe(1);
      // The upgrade request lives as long as the socket: it is not a request in flight.
      expect(open.value('http_server_active_requests')).toBe(0);
    } finally {
      await client.close();
    }
    await waitFor(async () => (await scrape()).value('zaplecze_chat_open_sockets') === 0, 'the socket to be gone from the gauge');
  });

  it('when an event waits in the outbox, then the backlog counts it and the age of the oldest shows how long', async () => {
    await t.platform.relay.stop(); // nothing publishes it, as when the bus is down
    const before = (await scrape()).value('zaplecze_outbox_backlog_events') ?? 0;
    await t.platform.db
      .insert(outboxEvents)
      .values({ id: newId(), type: 'test.waiting', payload: {}, createdAt: new Date(Date.now() - 60_000) });
    const text = await scrape();
    expect((text.value('zaplecze_outbox_backlog_events') ?? 0) - before).toBe(1);
    expect(text.value('zaplecze_outbox_oldest_unsent_age_seconds')).toBeGreaterThanOrEqual(59);
  });

  it('when the app closes, then the metrics listener closes with it', async () => {
    const url = `http://127.0.0.1:${t.metricsPort}/metrics`;
    await t.close();
    closed = true;
    await expect(fetch(url)).rejects.toThrow();
  });
});

describe('metrics off', () => {
  it('when METRICS_PORT is unset, then nothing listens and the port is a no-op', async () => {
    const t = await createTestApp();
    try {
      expect(t.metricsPort).toBeUndefined();
      expect(t.platform.metrics.enabled).toBe(false);
      expect(t.platform.metricsRegistry).toBeUndefined();
      expect((await t.request({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    } finally {
      await t.close();
    }
  });
});
