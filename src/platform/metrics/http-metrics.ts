/**
 * RED metrics of the public HTTP server, with OpenTelemetry semantic-convention names: a
 * duration histogram by method, route template and status code, and the requests in flight.
 * One onRequest/onResponse hook pair; installed only when metrics are on.
 *
 * Cardinality stays bounded: the route is Fastify's template (`/api/v1/products/:id`, never the
 * raw URL, which carries ids), and a request no route matched is labelled `unmatched`, so a
 * scanner probing random paths adds one series, not one per path. WebSocket upgrades are left
 * out: they hold their request for the socket's life (chat counts its sockets itself).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from './metrics.js';

/** Seconds; the OpenTelemetry advice for http.server.request.duration. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** The `http_route` of requests no route matched (404s of unknown paths). */
export const UNMATCHED_ROUTE = 'unmatched';

/** Set while a request is counted in flight (a symbol property: cheaper than a WeakSet per request). */
const IN_FLIGHT = Symbol('zaplecze.inFlight');

interface CountedRequest extends FastifyRequest {
  [IN_FLIGHT]?: boolean;
}

/** The two HTTP instruments, registered in `metrics` (also what bench/metrics-cost.ts records into). */
export function httpInstruments(metrics: Metrics) {
  return {
    duration: metrics.histogram(
      'http_server_request_duration_seconds',
      'Duration of HTTP server requests, by method, route template and status code.',
      ['http_request_method', 'http_route', 'http_response_status_code'],
      HTTP_DURATION_BUCKETS,
    ),
    active: metrics.level('http_server_active_requests', 'HTTP server requests in flight.'),
  };
}

/** Adds the hook pair that records every HTTP request of `app` (not WebSocket upgrades). */
export function installHttpMetrics(app: FastifyInstance, metrics: Metrics) {
  const { duration, active } = httpInstruments(metrics);

  // Leaves the in-flight count exactly once, whichever of the two hooks comes first.
  const leave = (request: CountedRequest) => {
    if (!request[IN_FLIGHT]) return false;
    request[IN_FLIGHT] = false;
    active.dec();
    return true;
  };

  app.addHook('onRequest', (request: CountedRequest, _reply, done) => {
    if (request.headers.upgrade === undefined) {
      request[IN_FLIGHT] = true;
      active.inc();
    }
    done();
  });
  app.addHook('onResponse', (request: CountedRequest, reply, done) => {
    if (leave(request)) {
      duration.observe(
        {
          http_request_method: request.method,
          http_route: request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE),
          http_response_status_code: reply.statusCode,
        },
        reply.elapsedTime / 1000,
      );
    }
    done();
  });
  // A client that went away before the answer: no duration to speak of, but no longer in flight.
  app.addHook('onRequestAbort', (request: CountedRequest, done) => {
    leave(request);
    done();
  });
}
