/**
 * One server span per request, named by method and route template, child of the caller's
 * `traceparent` when it sent one (a gateway, a browser, another service). The handler runs inside
 * the span's context, so the SQL, Redis, outbound HTTP and outbox work it does are its children.
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
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tracer } from './tracing.js';

const SPAN = Symbol('zaplecze.span');
const CONTEXT = Symbol('zaplecze.traceContext');

interface TracedRequest extends FastifyRequest {
  [SPAN]?: Span;
  [CONTEXT]?: Context;
}

const headerGetter = {
  keys: (carrier: FastifyRequest['headers']) => Object.keys(carrier),
  get(carrier: FastifyRequest['headers'], key: string) {
    const value = carrier[key];
    return Array.isArray(value) ? value[0] : value;
  },
};

/** The context the request's span runs in, for work that leaves the request's async chain (the access log). */
export function requestTraceContext(request: FastifyRequest): Context | undefined {
  return (request as TracedRequest)[CONTEXT];
}

export function installHttpSpans(app: FastifyInstance) {
  app.addHook('onRequest', (request: TracedRequest, _reply, done) => {
    // Most requests carry no trace context: skip the propagator's header parsing for them.
    const parent =
      request.headers.traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, request.headers, headerGetter);
    const route = request.routeOptions.url;
    const query = request.url.indexOf('?');
    const attributes: Attributes = {
      'http.request.method': request.method,
      'url.path': query < 0 ? request.url : request.url.slice(0, query),
      'url.scheme': request.protocol,
      'client.address': request.ip,
    };
    if (route) attributes['http.route'] = route;
    const userAgent = request.headers['user-agent'];
    if (userAgent !== undefined) attributes['user_agent.original'] = userAgent;
    const span = tracer.startSpan(route ? `${request.method} ${route}` : request.method, { kind: SpanKind.SERVER, attributes }, parent);
    const active = trace.setSpan(parent, span);
    request[SPAN] = span;
    request[CONTEXT] = active;
    context.with(active, done);
  });
  // A body is read from socket events, outside the request's async chain: enter the span's
  // context again before the handler runs (a request without a body is still inside it).
  app.addHook('preValidation', (request: TracedRequest, _reply, done) => {
    const active = request[CONTEXT];
    if (active && context.active() !== active) context.with(active, done);
    else done();
  });
  app.addHook('onResponse', (request: TracedRequest, reply, done) => {
    endSpan(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request: TracedRequest, done) => {
    const span = request[SPAN];
    span?.setAttribute('error.type', 'request_aborted');
    endSpan(request, undefined);
    done();
  });
}

function endSpan(request: TracedRequest, status: number | undefined) {
  const span = request[SPAN];
  if (!span) return;
  request[SPAN] = undefined;
  if (status !== undefined) {
    span.setAttribute('http.response.status_code', status);
    // Only server faults mark the span as an error; a 4xx is the client's (semantic conventions).
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
