/**
 * The spans the platform encodes as they end must be the bytes the OpenTelemetry exporter's own
 * serializer writes for the same spans: any OTLP receiver then reads them alike.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { type EncodedSpans, EncodingSpanProcessor, encodedSpansSerializer } from './encoding-span-processor.js';
import { exportRequest, ProtoWriter, writeSpan } from './otlp-protobuf.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

function provider(processor: SpanProcessor, resource = resourceFromAttributes({ 'service.name': 'zaplecze-test', 'deployment.id': 7 })) {
  return new TracerProvider({ resource, spanProcessors: [processor] });
}

/** Spans of every shape the encoder has a branch for. */
function makeSpans(tracerProvider: TracerProvider) {
  const tracer = tracerProvider.getTracer('zaplecze');
  const other = tracerProvider.getTracer('other-library', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  const server = tracer.startSpan('GET /api/v1/products/:id', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'GET', 'url.path': '/api/v1/products/1', 'client.address': '127.0.0.1' },
  });
  server.setAttribute('http.response.status_code', 200);
  server.end();

  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: PARENT_ID,
    traceFlags: 1,
    isRemote: true,
    traceState: new TraceState('vendor=value,other=1'),
  });
  const child = tracer.startSpan(
    'zażółć gęślą jaźń 😀',
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        flag: true,
        off: false,
        ratio: 0.25,
        negative: -42,
        big: 2 ** 40,
        huge: 2 ** 70,
        names: ['a', 'bé', ''],
        numbers: [1, 2.5, -3],
        // 42 UTF-16 units are written without measuring; 43 are measured first: both sides of that line.
        at42: '€'.repeat(42),
        at43: '€'.repeat(43),
        long: 'x'.repeat(300),
        empty: '',
      },
      links: [{ context: { traceId: TRACE_ID, spanId: 'a1b2c3d4e5f60718', traceFlags: 0 }, attributes: { why: 'batch' } }],
    },
    remoteParent,
  );
  child.addEvent('retry', { attempt: 2 });
  child.addEvent('plain');
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream answered 503' });
  child.end();

  // Over 16 KiB: its length takes three bytes.
  const wide = other.startSpan('wide', {
    attributes: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`key.${i}`, `value ${i} `.repeat(20)])),
  });
  wide.end();
  tracer.startSpan('bare', { kind: SpanKind.INTERNAL }, ROOT_CONTEXT).end();
}

function reference(spans: ReadableSpan[]): Buffer {
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array);
}

function encodeAll(spans: ReadableSpan[]): Buffer {
  const scopes = new Map<ReadableSpan['instrumentationScope'], ProtoWriter>();
  for (const span of spans) {
    const writer = scopes.get(span.instrumentationScope) ?? new ProtoWriter(64);
    scopes.set(span.instrumentationScope, writer);
    writeSpan(writer, span);
  }
  const first = spans[0] as ReadableSpan;
  return Buffer.from(
    exportRequest(
      first.resource,
      [...scopes].map(([scope, writer]) => ({ scope, spans: writer.bytes() })),
    ),
  );
}

describe('OTLP protobuf encoding of spans', () => {
  it('when spans of every shape are encoded one by one, then the request is byte for byte the exporter serializer’s', () => {
    const memory = new InMemorySpanExporter();
    makeSpans(provider(new SimpleSpanProcessor({ exporter: memory })));
    const spans = memory.getFinishedSpans();
    expect(spans).toHaveLength(4);
    const ours = encodeAll(spans);
    expect(ours.length).toBeGreaterThan(16 * 1024);
    expect(ours.equals(reference(spans))).toBe(true);
  });

  it('when a writer starts smaller than one span, then it grows and the bytes stay the same', () => {
    const memory = new InMemorySpanExporter();
    makeSpans(provider(new SimpleSpanProcessor({ exporter: memory })));
    const [span] = memory.getFinishedSpans();
    const small = new ProtoWriter(1);
    const large = new ProtoWriter(64 * 1024);
    writeSpan(small, span as ReadableSpan);
    writeSpan(large, span as ReadableSpan);
    expect(small.bytes().equals(large.bytes())).toBe(true);
  });

  it('when a time is encoded, then it is the exact nanoseconds since the epoch, also past 2^53', () => {
    for (const [seconds, nanos] of [
      [0, 0],
      [1, 999_999_999],
      [1_796_581_090, 123_456_789],
      [4_294_967_295, 999_999_999],
    ] as [number, number][]) {
      const w = new ProtoWriter(16);
      w.time(1, [seconds, nanos]);
      expect(w.bytes().readBigUInt64LE(1)).toBe(BigInt(seconds) * 1_000_000_000n + BigInt(nanos));
    }
  });
});

/** A stand-in for the OTLP HTTP delegate: keeps what it is asked to send, answers when told. */
function fakeDelegate() {
  const sent: Buffer[] = [];
  const pending: ((result: ExportResult) => void)[] = [];
  return {
    sent,
    pending,
    delegate: {
      export(batch: EncodedSpans, done: (result: ExportResult) => void) {
        sent.push(Buffer.from(encodedSpansSerializer.serializeRequest(batch) as Uint8Array));
        pending.push(done);
      },
      forceFlush: async () => {},
      shutdown: async () => {},
      setMetrics() {},
    },
    answerAll(code = ExportResultCode.SUCCESS) {
      for (const done of pending.splice(0)) done({ code, error: code === ExportResultCode.SUCCESS ? undefined : new Error('refused') });
    },
  };
}

describe('EncodingSpanProcessor', () => {
  it('when a batch fills, then its spans are sent as the exporter serializer would send them, and unsampled spans never', async () => {
    const fake = fakeDelegate();
    const memory = new InMemorySpanExporter();
    const processor = new EncodingSpanProcessor(fake.delegate, { maxExportBatchSize: 3 });
    const tracerProvider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'zaplecze-test' }),
      spanProcessors: [processor, new SimpleSpanProcessor({ exporter: memory })],
    });
    const tracer = tracerProvider.getTracer('zaplecze');
    const unsampled = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: 0, isRemote: true });
    tracer.startSpan('not sampled', {}, unsampled).end();
    for (const name of ['one', 'two']) tracer.startSpan(name).end();
    expect(fake.sent).toHaveLength(0);
    tracer.startSpan('three').end();
    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0]?.equals(reference(memory.getFinishedSpans()))).toBe(true);
    fake.answerAll();
    await tracerProvider.shutdown();
    expect(processor.spans).toEqual({ exported: 3, failed: 0, dropped: 0 });
  });

  it('when spans end while an export is in flight, then they wait for it, and past the queue limit they are dropped and counted', async () => {
    const fake = fakeDelegate();
    const processor = new EncodingSpanProcessor(fake.delegate, { maxExportBatchSize: 2, maxQueueSize: 3 });
    const tracer = provider(processor).getTracer('zaplecze');
    for (let i = 0; i < 2; i++) tracer.startSpan(`first ${i}`).end();
    expect(fake.sent).toHaveLength(1);
    for (let i = 0; i < 5; i++) tracer.startSpan(`while sending ${i}`).end();
    expect(fake.sent).toHaveLength(1);
    expect(processor.spans.dropped).toBe(2);
    fake.answerAll();
    await new Promise((resolve) => setImmediate(resolve));
    // The three that waited leave as soon as the first export is answered.
    expect(fake.sent).toHaveLength(2);
    expect(fake.sent[1]?.includes('while sending 2')).toBe(true);
    expect(fake.sent[1]?.includes('while sending 3')).toBe(false);
    // The first export went through; the second fails, and its three spans are counted as lost.
    fake.answerAll(ExportResultCode.FAILED);
    await new Promise((resolve) => setImmediate(resolve));
    expect(processor.spans).toEqual({ exported: 2, failed: 3, dropped: 2 });
  });

  it('when flushed or shut down, then what waits is sent, and spans ending afterwards are not', async () => {
    const fake = fakeDelegate();
    const processor = new EncodingSpanProcessor(fake.delegate, { maxExportBatchSize: 100, scheduledDelayMillis: 60_000 });
    const tracer = provider(processor).getTracer('zaplecze');
    tracer.startSpan('waiting').end();
    const flushed = processor.forceFlush();
    fake.answerAll();
    await flushed;
    expect(fake.sent).toHaveLength(1);
    tracer.startSpan('last').end();
    const shutdown = processor.shutdown();
    await new Promise((resolve) => setImmediate(resolve));
    fake.answerAll();
    await shutdown;
    expect(fake.sent).toHaveLength(2);
    tracer.startSpan('after shutdown').end();
    await processor.forceFlush();
    expect(fake.sent).toHaveLength(2);
  });

  it('when the delay passes with fewer spans than a batch, then they are sent', async () => {
    const fake = fakeDelegate();
    const tracer = provider(new EncodingSpanProcessor(fake.delegate, { scheduledDelayMillis: 10 })).getTracer('zaplecze');
    tracer.startSpan('alone').end();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.sent).toHaveLength(1);
    fake.answerAll();
  });
});
