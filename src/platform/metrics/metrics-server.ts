/**
 * The Prometheus scrape endpoint on its own node:http listener (METRICS_HOST:METRICS_PORT),
 * never on the public port: metrics describe the inside of the service (routes, queues, pool
 * use) and are for the operators' network only. Answers GET /metrics; anything else is 404.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsRegistry } from './metrics.js';

/** A started metrics listener. */
export interface MetricsServer {
  /** The bound port (METRICS_PORT=0 picks a free one, which tests read here). */
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on METRICS_HOST:METRICS_PORT; rejects, naming METRICS_PORT, when the port is taken. */
export async function startMetricsServer(registry: MetricsRegistry, options: { host: string; port: number }): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: metrics are at GET /metrics\n');
      return;
    }
    registry.render().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (err: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${err.message}\n`),
    );
  });
  // A scraper holds keep-alive connections; they must not keep shutdown waiting.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`Cannot listen on ${options.host}:${options.port} for metrics (${err.code}): set METRICS_PORT to a free port`)),
    );
    server.listen(options.port, options.host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
