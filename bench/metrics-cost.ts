/**
 * What recording and exporting HTTP metrics costs, prom-client against the OpenTelemetry SDK
 * with its Prometheus exporter, and the platform's own registry (prom-client's registry with
 * the BucketHistogram and a level read at the scrape), side by side in one process:
 * - per request: one histogram observation with method / route / status labels, plus the
 *   in-flight gauge going up and down (what the platform's onRequest/onResponse pair does);
 * - per scrape: rendering the Prometheus text of the same series.
 * Run: `npx tsx bench/metrics-cost.ts`. Prints ns/op of each and the ratios to prom-client.
 * Not part of `npm test`; the choice it informed is written down in README.md ("Metrics").
 */
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Gauge, Histogram, Registry } from 'prom-client';
import { HTTP_DURATION_BUCKETS, httpInstruments } from '../src/platform/metrics/http-metrics.js';
import { createMetricsRegistry } from '../src/platform/metrics/prom-registry.js';

const BUCKETS = HTTP_DURATION_BUCKETS;
const ROUTES = Array.from({ length: 20 }, (_, i) => `/api/v1/thing${i}/:id`);
const METHODS = ['GET', 'POST', 'PATCH', 'DELETE'];
const STATUSES = [200, 201, 204, 400, 404, 422];
// Pre-built label sets, so the loop measures the libraries, not object allocation of the bench.
const LABELS = Array.from({ length: 240 }, (_, i) => ({
  http_request_method: METHODS[i % METHODS.length] as string,
  http_route: ROUTES[i % ROUTES.length] as string,
  http_response_status_code: STATUSES[i % STATUSES.length] as number,
}));
const REQUESTS = 1_000_000;
const SCRAPES = 300;

interface Subject {
  name: string;
  record(i: number): void;
  scrape(): Promise<string>;
}

function promClientSubject(): Subject {
  const registry = new Registry();
  const duration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP server requests.',
    labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
    buckets: BUCKETS,
    registers: [registry],
  });
  const inFlight = new Gauge({ name: 'http_server_active_requests', help: 'In-flight requests.', registers: [registry] });
  return {
    name: 'prom-client',
    record(i) {
      inFlight.inc();
      duration.observe(LABELS[i % LABELS.length] as never, (i % 1000) / 10_000);
      inFlight.dec();
    },
    scrape: () => registry.metrics(),
  };
}

function otelSubject(): Subject {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  // The exporter bundles its own sdk-metrics copy; the reader contract is the same.
  const provider = new MeterProvider({ readers: [exporter as never] });
  const meter = provider.getMeter('bench');
  const duration = meter.createHistogram('http.server.request.duration', {
    unit: 's',
    description: 'Duration of HTTP server requests.',
    advice: { explicitBucketBoundaries: BUCKETS },
  });
  const inFlight = meter.createUpDownCounter('http.server.active_requests', { description: 'In-flight requests.' });
  const serializer = new PrometheusSerializer();
  return {
    name: 'OpenTelemetry',
    record(i) {
      inFlight.add(1);
      duration.record((i % 1000) / 10_000, LABELS[i % LABELS.length]);
      inFlight.add(-1);
    },
    async scrape() {
      const { resourceMetrics } = await exporter.collect();
      return serializer.serialize(resourceMetrics);
    },
  };
}

/** The platform's own port (src/platform/metrics); its scrape also renders the Node runtime metrics, which the other two leave out. */
function platformSubject(): Subject {
  const registry = createMetricsRegistry();
  const { duration, active: inFlight } = httpInstruments(registry);
  return {
    name: 'platform',
    record(i) {
      inFlight.inc();
      duration.observe(LABELS[i % LABELS.length] as (typeof LABELS)[number], (i % 1000) / 10_000);
      inFlight.dec();
    },
    scrape: () => registry.render(),
  };
}

async function measure(subject: Subject) {
  for (let i = 0; i < 50_000; i++) subject.record(i); // warm up, and populate every series
  let start = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) subject.record(i);
  const recordNs = Number(process.hrtime.bigint() - start) / REQUESTS;
  for (let i = 0; i < 20; i++) await subject.scrape();
  start = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < SCRAPES; i++) bytes = (await subject.scrape()).length;
  const scrapeNs = Number(process.hrtime.bigint() - start) / SCRAPES;
  return { recordNs, scrapeNs, bytes };
}

const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
// Two rounds, alternating, so neither library always runs on a colder or hotter machine.
for (const round of [1, 2]) {
  for (const make of [promClientSubject, otelSubject, platformSubject]) {
    const subject = make();
    const r = await measure(subject);
    const best = results[subject.name];
    if (!best || r.recordNs < best.recordNs) results[subject.name] = { ...r, scrapeNs: Math.min(r.scrapeNs, best?.scrapeNs ?? Infinity) };
    process.stdout.write(
      `round ${round} ${subject.name.padEnd(14)} record ${r.recordNs.toFixed(0).padStart(6)} ns/request   scrape ${(r.scrapeNs / 1000).toFixed(0).padStart(6)} µs (${r.bytes} bytes)\n`,
    );
  }
}
const prom = results['prom-client'];
const otel = results.OpenTelemetry;
const platform = results.platform;
if (prom && otel && platform) {
  process.stdout.write(
    `\nbest of 2, ${new Set(LABELS.map((l) => JSON.stringify(l))).size} histogram series: OpenTelemetry / prom-client = ${(otel.recordNs / prom.recordNs).toFixed(2)}x per request, ${(otel.scrapeNs / prom.scrapeNs).toFixed(2)}x per scrape\n` +
      `platform / prom-client = ${(platform.recordNs / prom.recordNs).toFixed(2)}x per request (the scrape also renders the Node runtime metrics, which the others leave out)\n`,
  );
}
