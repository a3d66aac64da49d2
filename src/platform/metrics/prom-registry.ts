/**
 * The metrics port backed by prom-client: what METRICS_PORT turns on (loaded only then).
 */
import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from 'prom-client';
import { BucketHistogram } from './bucket-histogram.js';
import type { MetricsRegistry } from './metrics.js';

/** A registry with the Node runtime metrics (event-loop delay, GC, heap, CPU, handles) already in it. */
export function createMetricsRegistry(): MetricsRegistry {
  const registers = [new Registry()];
  const [registry] = registers as [Registry];
  collectDefaultMetrics({ register: registry });
  return {
    enabled: true,
    counter(name, help, labelNames = []) {
      const counter = new Counter({ name, help, labelNames: [...labelNames], registers });
      return { inc: (labels, by = 1) => (labels ? counter.inc(labels, by) : counter.inc(by)) };
    },
    gauge(name, help, read) {
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          // A failing read (database down) must not fail the whole scrape: the series says NaN, unknown.
          this.set(
            await Promise.resolve()
              .then(read)
              .catch(() => Number.NaN),
          );
        },
      });
    },
    gaugeByLabels(name, help, labelNames, read) {
      new Gauge({
        name,
        help,
        labelNames: [...labelNames],
        registers,
        async collect() {
          // Reset first: a label set that is gone (no dead letters left) must drop out, not stay at its last count.
          this.reset();
          const series = await Promise.resolve()
            .then(read)
            .catch(() => []);
          for (const { labels, value } of series) this.set(labels, value);
        },
      });
    },
    counterByLabels(name, help, labelNames, read) {
      new Counter({
        name,
        help,
        labelNames: [...labelNames],
        registers,
        collect() {
          // The tallies are totals already: set, not added to.
          this.reset();
          for (const { labels, value } of read()) this.inc(labels, value);
        },
      });
    },
    histogram(name, help, labelNames, buckets) {
      const histogram = new BucketHistogram(name, help, labelNames, buckets);
      // The registry only calls get() on what it renders; prom-client's own type wants its class.
      registry.registerMetric(histogram as unknown as Metric);
      return histogram;
    },
    level(name, help) {
      // Moved on every request (in flight): a plain number, read when scraped, instead of a
      // prom-client Gauge whose inc/dec hash an empty label set each time.
      let value = 0;
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value);
        },
      });
      return {
        inc: () => {
          value += 1;
        },
        dec: () => {
          value -= 1;
        },
      };
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
