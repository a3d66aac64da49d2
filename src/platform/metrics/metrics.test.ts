import { Histogram, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../../../test/prometheus-text.js';
import { disabledMetrics } from './metrics.js';
import { type MetricsServer, startMetricsServer } from './metrics-server.js';
import { createMetricsRegistry } from './prom-registry.js';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(registry = createMetricsRegistry()) {
  server = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${server.port}`;
}

describe('metrics registry and listener', () => {
  it('when scraped, then GET /metrics answers the Prometheus text with the runtime metrics, and other paths 404', async () => {
    const registry = createMetricsRegistry();
    registry.counter('test_things_total', 'Things.', ['kind']).inc({ kind: 'a' }, 2);
    const base = await serve(registry);

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = parsePrometheusText(await res.text());
    expect(text.value('test_things_total', { kind: 'a' })).toBe(2);
    for (const family of [
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'process_cpu_seconds_total',
      'nodejs_gc_duration_seconds',
    ]) {
      expect(text.types.has(family), family).toBe(true);
    }
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('when a gauge cannot be read, then the scrape still succeeds and that series says NaN', async () => {
    const registry = createMetricsRegistry();
    registry.gauge('test_broken', 'Fails to read.', () => Promise.reject(new Error('database down')));
    registry.gauge('test_fine', 'Reads.', () => 7);
    const text = parsePrometheusText(await registry.render());
    expect(text.value('test_broken')).toBeNaN();
    expect(text.value('test_fine')).toBe(7);
  });

  it('when a labelled gauge value goes away, then its series drops out instead of keeping its last value', async () => {
    const registry = createMetricsRegistry();
    let counts = [
      { labels: { module: 'shop', event_type: 'order.paid' }, value: 2 },
      { labels: { module: 'chat', event_type: 'user.deleted' }, value: 1 },
    ];
    registry.gaugeByLabels('test_dead', 'Per module and type.', ['module', 'event_type'], () => counts);
    expect(parsePrometheusText(await registry.render()).find('test_dead')).toHaveLength(2);
    counts = [{ labels: { module: 'chat', event_type: 'user.deleted' }, value: 3 }];
    const text = parsePrometheusText(await registry.render());
    expect(text.find('test_dead')).toEqual([{ name: 'test_dead', labels: { module: 'chat', event_type: 'user.deleted' }, value: 3 }]);
  });

  it("when durations are observed, then the histogram renders exactly what prom-client's own Histogram renders for them", async () => {
    const registry = createMetricsRegistry();
    const ours = registry.histogram('test_duration_seconds', 'Durations.', ['method', 'route'], [0.01, 0.1, 1]);
    const reference = new Registry();
    const theirs = new Histogram({
      name: 'test_duration_seconds',
      help: 'Durations.',
      labelNames: ['method', 'route'],
      buckets: [0.01, 0.1, 1],
      registers: [reference],
    });
    const observations: [{ method: string; route: string }, number][] = [
      [{ method: 'GET', route: '/a' }, 0.005],
      [{ method: 'GET', route: '/a' }, 0.01],
      [{ method: 'GET', route: '/a' }, 0.5],
      [{ method: 'POST', route: '/a' }, 3],
      [{ method: 'GET', route: '/b' }, 0.1],
      [{ method: 'GET', route: '/a' }, 0],
    ];
    for (const [labels, value] of observations) {
      ours.observe(labels, value);
      theirs.observe(labels, value);
    }
    ours.observe({ method: 'GET', route: '/a' }, Number.NaN);

    const rendered = parsePrometheusText(await registry.render()).find('test_duration_seconds_bucket');
    const expected = parsePrometheusText(await reference.metrics());
    const keyOf = (s: (typeof rendered)[number]) => JSON.stringify([s.name, Object.entries(s.labels).sort(), s.value]);
    const sorted = (series: typeof rendered) => series.map(keyOf).sort();
    for (const family of ['test_duration_seconds_bucket', 'test_duration_seconds_sum', 'test_duration_seconds_count']) {
      const text = parsePrometheusText(await registry.render());
      expect(sorted(text.find(family)), family).toEqual(sorted(expected.find(family)));
    }
    expect(rendered).toHaveLength(12);
    expect(
      parsePrometheusText(await registry.render()).value('test_duration_seconds_bucket', { method: 'GET', route: '/a', le: '0.01' }),
    ).toBe(3);
  });

  it('when requests go in and out of flight, then the level gauge reads their count at the scrape', async () => {
    const registry = createMetricsRegistry();
    const level = registry.level('test_in_flight', 'In flight.');
    level.inc();
    level.inc();
    level.inc();
    level.dec();
    expect(parsePrometheusText(await registry.render()).value('test_in_flight')).toBe(2);
  });

  it('when metrics are off, then instruments do nothing and collect functions are never called', async () => {
    let reads = 0;
    disabledMetrics.gauge('test_off', 'Off.', () => ++reads);
    disabledMetrics.counter('test_off_total', 'Off.').inc();
    disabledMetrics.level('test_level', 'Off.').inc();
    expect(disabledMetrics.enabled).toBe(false);
    expect(reads).toBe(0);
  });

  it('when the metrics port is taken, then starting says so and names METRICS_PORT', async () => {
    await serve();
    await expect(startMetricsServer(createMetricsRegistry(), { host: '127.0.0.1', port: server?.port ?? 0 })).rejects.toThrow(
      /METRICS_PORT/,
    );
  });
});
