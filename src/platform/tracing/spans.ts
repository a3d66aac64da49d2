/**
 * Helpers for spans around the platform's own hops (outbox, bus, SQL, Redis, outbound HTTP).
 * The trace context crosses a hop as a W3C `traceparent` string: stored in the outbox row, sent
 * as a NATS header or an outbound request header, and read back on the other side.
 */
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { tracer, tracingOn } from './tracing.js';

/** The `traceparent` of the active span, to store or send with work that continues elsewhere; undefined when tracing is off or no span is active. */
export function currentTraceparent(): string | undefined {
  if (!tracingOn() || !trace.getActiveSpan()) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** The context a stored or received `traceparent` names (the root context when there is none). */
export function contextOf(traceparent: string | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/** Adds the active span's `traceparent` to outgoing headers (no-op when tracing is off). */
export function injectTraceparent(headers: Record<string, string>): void {
  const traceparent = currentTraceparent();
  if (traceparent) headers.traceparent = traceparent;
}

export interface SpanOptions {
  kind: SpanKind;
  attributes?: Attributes;
  /** The parent; the active context when absent. */
  parent?: Context;
}

/**
 * Runs `work` in a new span that ends when it settles; a throw marks the span as an error and
 * is rethrown. With tracing off it only runs `work`.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!tracingOn()) return work(undefined);
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: options.kind, attributes: options.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (err) {
    markFailed(span, err);
    throw err;
  } finally {
    span.end();
  }
}

export function markFailed(span: Span, err: unknown) {
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  span.setAttribute('error.type', err instanceof Error ? err.name : 'error');
}

export { SpanKind };
