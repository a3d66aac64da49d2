/** An OTLP/HTTP trace receiver for benches: tracing servers export to it, so their spans really leave the process. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An OTLP/HTTP receiver that accepts every POST /v1/traces with 200 and counts requests and bytes. */
export async function startOtlpSink(): Promise<{ url: string; counts: { requests: number; bytes: number }; close(): Promise<void> }> {
  const counts = { requests: 0, bytes: 0 };
  const server: Server = createServer((request, response) => {
    if (request.method !== 'POST' || !request.url?.startsWith('/v1/traces')) {
      request.resume();
      response.writeHead(404).end();
      return;
    }
    request.on('data', (chunk: Buffer) => {
      counts.bytes += chunk.length;
    });
    request.on('end', () => {
      counts.requests += 1;
      // An empty ExportTraceServiceResponse: valid for both the protobuf and the JSON encoding.
      response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
