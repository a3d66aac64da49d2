/**
 * One log line per request, when it completes, instead of Fastify's two (incoming +
 * completed). The query string is left out: it can carry signed-link signatures.
 */
import { context } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { requestTraceContext } from '../tracing/http-spans.js';

export function installAccessLog(app: FastifyInstance, { traced = false }: { traced?: boolean } = {}) {
  app.addHook('onResponse', (request, reply, done) => {
    // Below LOG_LEVEL=info (e.g. warn in production) the line would be dropped: build nothing.
    if (!(request.log as Logger).isLevelEnabled('info')) {
      done();
      return;
    }
    const path = request.url.split('?', 1)[0];
    const write = () =>
      request.log.info(
        { method: request.method, path, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
        'request completed',
      );
    // The response ends outside the request's async chain: write the line in its span's context
    // so it carries the trace id like the lines the handler wrote.
    const traceContext = traced ? requestTraceContext(request) : undefined;
    if (traceContext) context.with(traceContext, write);
    else write();
    done();
  });
}
