import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SamplingDecision } from '@opentelemetry/sdk-trace';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsUrl, privateStreams } from '../../../test/nats-streams.js';
import { parsePrometheusText } from '../../../test/prometheus-text.js';
import { API, createProduct, eventually, orderReaches, putInCart } from '../../../test/shop-fixtures.js';
import { createTestApp, DEFAULT_PASSWORD, type TestApp } from '../../../test/test-app.js';
import { outboxEvents } from '../bus/tables.js';
import { createLogger } from '../log.js';
import { type SamplerName, samplerFrom } from './sampler.js';
import { startTracing, type Tracing, tracer, tracingOn } from './tracing.js';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** What a browser or gateway sends: the trace, and its own span as the parent. */
const traceparent = (traceId: string) => `00-${traceId}-${hex(8)}-01`;
const SETTINGS = { OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_TRACES_SAMPLER_ARG: 1, DEPLOYMENT: 'all-in-one' } as const;

describe('tracing on', () => {
  const exporter = new InMemorySpanExporter();
  const lines: Record<string, unknown>[] = [];
  const streams = privateStreams();
  let tracing: Tracing;
  let t: TestApp;

  beforeAll(async () => {
    tracing = await startTracing(SETTINGS, { exporter });
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    // On the real services the hops cross NATS, with the trace context in a message header.
    t = await createTestApp({ env: natsUrl ? streams.env() : {}, log: createLogger('info', sink, 'json', { traceIds: true }) });
  });
  afterAll(async () => {
    await t?.close();
    await tracing?.shutdown();
    await streams.deleteAll();
  });

  const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const byId = (spans: ReadableSpan[]) => new Map(spans.map((s) => [s.spanContext().spanId, s]));
  /** The span's ancestors inside the trace, nearest first. */
  const ancestors = (span: ReadableSpan, spans: ReadableSpan[]) => {
    const index = byId(spans);
    const chain: ReadableSpan[] = [];
    for (let parent = index.get(span.parentSpanContext?.spanId ?? ''); parent; parent = index.get(parent.parentSpanContext?.spanId ?? '')) {
      chain.push(parent);
    }
    return chain;
  };
  const one = (spans: ReadableSpan[], name: string, kind?: SpanKind) => {
    const found = spans.filter((s) => s.name === name && (kind === undefined || s.kind === kind));
    expect(
      found.map((s) => s.name),
      `exactly one span '${name}' in ${spans.map((s) => s.name).join(', ')}`,
    ).toEqual([name]);
    return found[0] as ReadableSpan;
  };

  const isTestConsumer = (s: ReadableSpan) =>
    s.name === 'process order.paid' && s.attributes['messaging.consumer.group.name'] === 'trace-test';

  it('when a customer registers, checks out and pays, then one trace holds the requests, the outbox and bus hops and the consumer', async () => {
    expect(tracingOn()).toBe(true);
    const traceId = hex(16);
    const headers = () => ({ traceparent: traceparent(traceId) });
    const admin = await t.admin();
    const product = await createProduct(t, admin, { stock: 3 });
    const consumed: string[] = [];
    // A downstream consumer of the paid order, as the worker of another service would be.
    const stop = t.platform.bus.subscribe('trace-test', 'order.paid', (event) => {
      consumed.push(event.payload.order.id);
    });
    await t.platform.bus.ready();
    try {
      const email = `traced-${hex(3)}@test.local`;
      const registered = await t.request({
        method: 'POST',
        url: `${API}/auth/register`,
        headers: headers(),
        payload: { email, password: DEFAULT_PASSWORD, name: 'Traced' },
      });
      expect(registered.statusCode).toBe(202);
      const login = await t.request({
        method: 'POST',
        url: `${API}/auth/login`,
        headers: headers(),
        payload: { email, password: DEFAULT_PASSWORD },
      });
      expect(login.statusCode).toBe(200);
      const token = login.json().accessToken as string;
      await putInCart(t, { token } as never, product.id, 1);
      const placed = await t.request({
        method: 'POST',
        url: `${API}/orders`,
        token,
        payload: {},
        headers: { ...headers(), 'idempotency-key': randomUUID() },
      });
      expect(placed.statusCode, placed.body).toBe(201);
      const order = placed.json();
      const settled = await t.request({
        method: 'POST',
        url: `${API}/payments/sandbox/${order.payment.reference}/succeed`,
        token,
        headers: headers(),
      });
      expect(settled.statusCode).toBe(202);
      await orderReaches(t, { token } as never, order.id, 'paid');
      await eventually(
        async () => consumed,
        (ids) => ids.includes(order.id),
        'the consumer to get order.paid',
      );
      await t.platform.relay.flush();
      await tracing.flush();
      // The delivery's span ends after the handler, once the delivery is settled: on NATS an
      // acknowledgement's round trip after `consumed` saw the order.
      await eventually(
        async () => spansOf(traceId),
        (spans) => spans.some(isTestConsumer),
        'the consumer span to end',
      );
    } finally {
      stop();
    }

    const spans = spansOf(traceId);
    const register = one(spans, `POST ${API}/auth/register`, SpanKind.SERVER);
    const checkout = one(spans, `POST ${API}/orders`, SpanKind.SERVER);
    const settle = one(spans, `POST ${API}/payments/sandbox/:ref/succeed`, SpanKind.SERVER);
    // The caller's span is the remote parent of each request's span.
    expect(register.parentSpanContext?.isRemote).toBe(true);
    expect(checkout.attributes['http.response.status_code']).toBe(201);
    expect(checkout.attributes['http.route']).toBe(`${API}/orders`);

    // The checkout's SQL runs inside its span.
    const orderInsert = spans.find(
      (s) => s.kind === SpanKind.CLIENT && /insert into "shop"\."orders"/i.test(String(s.attributes['db.query.text'] ?? '')),
    );
    expect(orderInsert, spans.map((s) => s.name).join(', ')).toBeDefined();
    expect(ancestors(orderInsert as ReadableSpan, spans)).toContain(checkout);

    // order.created: written to the outbox inside the checkout, published by the relay as a child of it.
    const created = one(spans, 'publish order.created', SpanKind.PRODUCER);
    expect(ancestors(created, spans)).toContain(checkout);

    // order.paid: the payment worker applied the provider's callback in the settle request's trace,
    // the relay published it, and the consumer's delivery is the publish span's child.
    const paid = one(spans, 'publish order.paid', SpanKind.PRODUCER);
    expect(ancestors(paid, spans)).toContain(settle);
    const consumer = spans.find(isTestConsumer) as ReadableSpan;
    expect(consumer, spans.map((s) => s.name).join(', ')).toBeDefined();
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.parentSpanContext?.spanId).toBe(paid.spanContext().spanId);
    expect(consumer.attributes['zaplecze.delivery.outcome']).toBe('done');
  });

  it('when a request is traced, then every log line it writes names its trace and span', async () => {
    const traceId = hex(16);
    const res = await t.request({ method: 'GET', url: `${API}/products`, headers: { traceparent: traceparent(traceId) } });
    expect(res.statusCode).toBe(200);
    await tracing.flush();
    const server = one(spansOf(traceId), `GET ${API}/products`, SpanKind.SERVER);
    const access = lines.filter((l) => l.msg === 'request completed' && l.trace_id === traceId);
    expect(access).toHaveLength(1);
    expect(access[0]?.span_id).toBe(server.spanContext().spanId);
  });

  it('when a request comes without a traceparent, then it starts a trace of its own', async () => {
    exporter.reset();
    const first = await t.request({ method: 'GET', url: '/health/live' });
    const second = await t.request({ method: 'GET', url: '/health/live' });
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    const roots = exporter.getFinishedSpans().filter((s) => s.name === 'GET /health/live');
    expect(roots).toHaveLength(2);
    expect(roots.every((s) => s.parentSpanContext === undefined)).toBe(true);
    expect(new Set(roots.map((s) => s.spanContext().traceId)).size).toBe(2);
  });

  it('when a caller sends a malformed traceparent, then the request is served and traced as a new trace', async () => {
    exporter.reset();
    const res = await t.request({ method: 'GET', url: '/health/live', headers: { traceparent: '00-zz-not-a-trace' } });
    expect(res.statusCode).toBe(200);
    const [span] = exporter.getFinishedSpans().filter((s) => s.name === 'GET /health/live');
    expect(span?.parentSpanContext).toBeUndefined();
  });

  it('when a caller says not sampled, then the parent-based sampler records nothing of the request', async () => {
    exporter.reset();
    const traceId = hex(16);
    const res = await t.request({ method: 'GET', url: `${API}/products`, headers: { traceparent: `00-${traceId}-${hex(8)}-00` } });
    expect(res.statusCode).toBe(200);
    expect(spansOf(traceId)).toEqual([]);
  });
});

describe('tracing off', () => {
  it('when no OTLP endpoint is set, then no span is made and outbox rows carry no trace context', async () => {
    const tracing = await startTracing({ ...SETTINGS, OTEL_EXPORTER_OTLP_ENDPOINT: undefined });
    expect(tracingOn()).toBe(false);
    const t = await createTestApp();
    try {
      const user = await t.createUser();
      const res = await t.request({ method: 'GET', url: `${API}/products`, headers: { traceparent: traceparent(hex(16)) } });
      expect(res.statusCode).toBe(200);
      const rows = await t.platform.db
        .select({ trace: outboxEvents.traceContext })
        .from(outboxEvents)
        .where(eq(outboxEvents.type, 'user.registered'));
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.trace === null)).toBe(true);
      expect(user.id).toEqual(expect.any(String));
    } finally {
      await t.close();
      await tracing.shutdown();
    }
  });
});

describe('tracing exported over OTLP', () => {
  it('when OTEL_EXPORTER_OTLP_ENDPOINT is set, then finished spans are posted as protobuf to its /v1/traces, with OTEL_EXPORTER_OTLP_HEADERS', async () => {
    const received: { path: string | undefined; type: string | undefined; apiKey: unknown; body: Buffer }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ path: req.url, type: req.headers['content-type'], apiKey: req.headers['x-api-key'], body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    // Read by the OTLP exporter's transport, which the platform's span processor sends through.
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-api-key=collector-secret';
    const tracing = await startTracing({ ...SETTINGS, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/` });
    try {
      const span = tracer.startSpan('exported span');
      span.end();
      await tracing.flush();
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ path: '/v1/traces', type: 'application/x-protobuf', apiKey: 'collector-secret' });
      const body = received[0]?.body ?? Buffer.alloc(0);
      expect(body.includes('exported span')).toBe(true);
      expect(body.includes(Buffer.from(span.spanContext().traceId, 'hex'))).toBe(true);
      expect(body.includes('zaplecze-all-in-one')).toBe(true);
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
      await tracing.shutdown();
      collector.close();
    }
  });
  it('when the collector refuses an export, then the lost spans are counted on the metrics listener, apart from the delivered ones', async () => {
    let status = 400;
    const collector = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(status, { 'content-type': 'application/x-protobuf' }).end());
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    const tracing = await startTracing({ ...SETTINGS, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
    const t = await createTestApp({ env: { METRICS_PORT: '0' } });
    const spans = async () => {
      const text = parsePrometheusText(await (await fetch(`http://127.0.0.1:${t.metricsPort}/metrics`)).text());
      return Object.fromEntries(
        ['exported', 'failed', 'dropped'].map((outcome) => [outcome, text.value('zaplecze_tracing_spans_total', { outcome })]),
      );
    };
    try {
      // A 400 is not retried: the export fails at once and its spans are lost.
      tracer.startSpan('refused').end();
      await tracing.flush();
      const refused = await spans();
      expect(refused.failed).toBeGreaterThanOrEqual(1);
      expect(refused.dropped).toBe(0);
      status = 200;
      for (let i = 0; i < 3; i++) tracer.startSpan(`accepted ${i}`).end();
      await tracing.flush();
      const after = await spans();
      // The scrapes' own request spans are exported too: at least the three.
      expect(after.exported).toBeGreaterThanOrEqual((refused.exported ?? 0) + 3);
      expect(after.failed).toBe(refused.failed);
    } finally {
      await t.close();
      await tracing.shutdown();
      collector.close();
    }
  });
});

describe('samplers from OTEL_TRACES_SAMPLER', () => {
  const decide = (name: SamplerName, ratio: number, parentSampled?: boolean) => {
    const parent =
      parentSampled === undefined
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, { traceId: hex(16), spanId: hex(8), traceFlags: parentSampled ? 1 : 0, isRemote: true });
    return samplerFrom(name, ratio).shouldSample(parent, hex(16), 'span', SpanKind.SERVER, {}, []).decision;
  };
  it('when a sampler is named, then it decides as the specification says', () => {
    expect(decide('always_on', 0)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide('always_off', 1)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide('traceidratio', 0)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide('traceidratio', 1)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    // Parent-based: a caller's decision wins over the ratio for the rest of its trace.
    expect(decide('parentbased_traceidratio', 0, true)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide('parentbased_always_on', 1, false)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide('parentbased_always_off', 1)).toBe(SamplingDecision.NOT_RECORD);
  });
});
