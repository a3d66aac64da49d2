/**
 * Distributed tracing with the OpenTelemetry SDK. The code everywhere else writes spans through
 * `@opentelemetry/api` only, and installs its span hooks only when `tracingOn()`: with tracing
 * off (no OTEL_EXPORTER_OTLP_ENDPOINT) no SDK is registered, no hook runs and no span object is
 * made, so it costs nothing.
 *
 * On: W3C trace context (`traceparent`) is read from requests and written to outbound calls,
 * outbox rows and bus messages; the context follows async work through AsyncLocalStorage;
 * finished spans are encoded as they end and leave in batches over OTLP (HTTP + protobuf, the
 * OpenTelemetry default).
 * The process registers one provider for its life: tracing is a process setting, like the logger.
 */
import { context, propagation, type Tracer, trace } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { EncodingSpanProcessor, SpanTally } from './encoding-span-processor.js';
import type { SamplerName } from './sampler.js';

/**
 * The tracer every span of the platform and the modules comes from: the registered provider's
 * (a live binding, replaced by `startTracing`: the API's proxy tracer would keep serving the
 * first provider of the process after a restart of tracing, as tests do).
 */
export let tracer: Tracer = trace.getTracer('zaplecze');

let on = false;
let exporting: EncodingSpanProcessor | undefined;

/** True while an SDK started by `startTracing` is registered: the span hooks check it once, at start-up. */
export function tracingOn(): boolean {
  return on;
}

/** What became of the spans sent over OTLP so far; undefined unless tracing exports over OTLP. */
export function spanTally(): Readonly<SpanTally> | undefined {
  return exporting?.spans;
}

export interface TracingSettings {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_TRACES_SAMPLER: SamplerName;
  OTEL_TRACES_SAMPLER_ARG: number;
  OTEL_SERVICE_NAME?: string;
  DEPLOYMENT: string;
}

export interface Tracing {
  /** Exports what is buffered (tests, before a planned exit). */
  flush(): Promise<void>;
  /** Exports what is left and unregisters the SDK. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { flush: async () => {}, shutdown: async () => {} };

/**
 * Registers the SDK when the settings turn tracing on (or a test hands an exporter, whose spans
 * are then passed on one by one, not batched). Call before the logger and the app are made.
 * The SDK's modules are loaded only then: with tracing off a start does not pay for them.
 */
export async function startTracing(settings: TracingSettings, options: { exporter?: SpanExporter } = {}): Promise<Tracing> {
  const endpoint = settings.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint && !options.exporter) return OFF;
  if (on) throw new Error('tracing is already started in this process');
  const [
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
    { convertLegacyHttpOptions, createOtlpHttpExportDelegate },
    { resourceFromAttributes },
    { SimpleSpanProcessor, TracerProvider },
    { samplerFrom },
    { EncodingSpanProcessor, encodedSpansMetricsHelper, encodedSpansSerializer },
  ] = await Promise.all([
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/otlp-exporter-base/node-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
    import('./sampler.js'),
    import('./encoding-span-processor.js'),
  ]);
  // Checked again: another start may have finished while the modules loaded.
  if (on) throw new Error('tracing is already started in this process');
  // The OTLP exporter's own transport (HTTP, retries, OTEL_EXPORTER_OTLP_* headers, timeout,
  // compression), fed spans that were encoded as they ended (encoding-span-processor.ts).
  const processor = options.exporter
    ? new SimpleSpanProcessor({ exporter: options.exporter })
    : new EncodingSpanProcessor(
        createOtlpHttpExportDelegate(
          convertLegacyHttpOptions({ url: `${endpoint?.replace(/\/+$/, '')}/v1/traces` }, 'TRACES', 'v1/traces', {
            'Content-Type': 'application/x-protobuf',
          }),
          encodedSpansSerializer,
          'otlp_http_span_exporter',
          encodedSpansMetricsHelper,
          undefined,
        ),
      );
  const provider = new TracerProvider({
    sampler: samplerFrom(settings.OTEL_TRACES_SAMPLER, settings.OTEL_TRACES_SAMPLER_ARG),
    resource: resourceFromAttributes({ 'service.name': settings.OTEL_SERVICE_NAME ?? `zaplecze-${settings.DEPLOYMENT}` }),
    spanProcessors: [processor],
  });
  const contextManager = new AsyncLocalStorageContextManager();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  tracer = provider.getTracer('zaplecze');
  on = true;
  exporting = processor instanceof EncodingSpanProcessor ? processor : undefined;
  return {
    flush: () => provider.forceFlush(),
    async shutdown() {
      if (!on) return;
      on = false;
      exporting = undefined;
      await provider.shutdown().catch(() => {});
      tracer = trace.getTracer('zaplecze');
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
