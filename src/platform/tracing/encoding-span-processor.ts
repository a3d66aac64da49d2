/**
 * A span processor that encodes each sampled span to OTLP protobuf the moment it ends and
 * exports the bytes in batches, where the SDK's BatchSpanProcessor keeps the span objects until
 * the exporter serializes the whole batch. The export itself (HTTP, retries, timeouts, the
 * OTEL_EXPORTER_OTLP_* settings) is the OTLP exporter's own delegate from
 * @opentelemetry/otlp-exporter-base; only the moment and the way of encoding differ.
 *
 * Batching follows the BatchSpanProcessor's defaults: an export when 512 spans wait or 5 s after
 * the first, one export at a time, at most 2,048 spans waiting (more are dropped and counted, as
 * there). A span the exporter could not deliver is lost, as there; `spans` counts both losses,
 * which the metrics listener shows (platform-metrics.ts), since OpenTelemetry's own warning goes to
 * a diag logger nobody reads.
 */
import { context, diag, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { exportRequest, ProtoWriter, type ScopeBatch, writeSpan } from './otlp-protobuf.js';

/** What waits for one export: the encoded spans by instrumentation scope. */
export interface EncodedSpans {
  resource: ReadableSpan['resource'];
  scopes: Map<ReadableSpan['instrumentationScope'], ProtoWriter>;
  count: number;
}

/** The serializer the export delegate calls: the batch's bytes are already made, only the envelope is left. */
export const encodedSpansSerializer = {
  serializeRequest(batch: EncodedSpans): Uint8Array | undefined {
    if (batch.count === 0) return undefined;
    const scopes: ScopeBatch[] = [...batch.scopes].map(([scope, writer]) => ({ scope, spans: writer.bytes() }));
    return exportRequest(batch.resource, scopes);
  },
  // An ExportTraceServiceResponse only matters for its partial-success warning, which the
  // processor has no use for: an empty response is what a successful export returns.
  deserializeResponse: () => ({}),
};

export const encodedSpansMetricsHelper = { name: 'span' as const, countItems: (batch: EncodedSpans) => batch.count };

/** What became of the sampled spans that ended, so far. */
export interface SpanTally {
  /** Accepted by the collector. */
  exported: number;
  /** Sent in an export that failed (after the exporter's own retries): lost. */
  failed: number;
  /** Never sent: the queue was full because the exports could not keep up. */
  dropped: number;
}

export interface EncodingSpanProcessorOptions {
  maxExportBatchSize?: number;
  maxQueueSize?: number;
  scheduledDelayMillis?: number;
}

export class EncodingSpanProcessor implements SpanProcessor {
  private readonly maxExportBatchSize: number;
  private readonly maxQueueSize: number;
  private readonly scheduledDelayMillis: number;
  private waiting: EncodedSpans | undefined;
  private exporting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly spans: SpanTally = { exported: 0, failed: 0, dropped: 0 };

  constructor(
    private readonly delegate: IOtlpExportDelegate<EncodedSpans>,
    options: EncodingSpanProcessorOptions = {},
  ) {
    this.maxExportBatchSize = options.maxExportBatchSize ?? 512;
    this.maxQueueSize = Math.max(options.maxQueueSize ?? 2048, this.maxExportBatchSize);
    this.scheduledDelayMillis = options.scheduledDelayMillis ?? 5000;
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.closed || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    let batch = this.waiting;
    if (!batch) {
      batch = { resource: span.resource, scopes: new Map(), count: 0 };
      this.waiting = batch;
    } else if (batch.count >= this.maxQueueSize) {
      if (this.spans.dropped++ === 0) diag.warn('tracing: spans are dropped, the OTLP export cannot keep up');
      return;
    }
    let writer = batch.scopes.get(span.instrumentationScope);
    if (!writer) {
      writer = new ProtoWriter(16 * 1024);
      batch.scopes.set(span.instrumentationScope, writer);
    }
    writeSpan(writer, span);
    batch.count++;
    if (batch.count >= this.maxExportBatchSize) this.exportWaiting();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.exportWaiting(), this.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  /** Sends what waits unless an export is in flight (its end sends the rest). */
  private exportWaiting(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.exporting) return this.exporting;
    const batch = this.waiting;
    if (!batch) return Promise.resolve();
    this.waiting = undefined;
    this.exporting = new Promise<void>((resolve) => {
      // The export's own HTTP request must not become a span of the trace it carries.
      context.with(suppressTracing(context.active()), () =>
        this.delegate.export(batch, (result) => {
          if (result.code === ExportResultCode.SUCCESS) this.spans.exported += batch.count;
          else {
            this.spans.failed += batch.count;
            diag.error('tracing: an OTLP export failed', result.error);
          }
          resolve();
        }),
      );
    }).then(() => {
      this.exporting = undefined;
      const next = this.waiting;
      if (next && (next.count >= this.maxExportBatchSize || this.closed)) return this.exportWaiting();
      if (next && !this.timer) {
        this.timer = setTimeout(() => this.exportWaiting(), this.scheduledDelayMillis);
        this.timer.unref();
      }
    });
    return this.exporting;
  }

  async forceFlush(): Promise<void> {
    while (this.waiting || this.exporting) await this.exportWaiting();
    await this.delegate.forceFlush();
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    await this.forceFlush();
    this.closed = true;
    await this.delegate.shutdown();
  }
}
