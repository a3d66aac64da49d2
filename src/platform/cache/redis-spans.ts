/**
 * A client span per Redis command sent inside a traced request or event (tracing on): the
 * connection's `sendCommand` is the one path every command takes. Commands of background work
 * with no active span (presence sweeps, pub/sub) start no trace.
 */
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import { markFailed } from '../tracing/spans.js';
import { tracer } from '../tracing/tracing.js';

type Command = Parameters<Redis['sendCommand']>[0];

export function traceRedisCommands(redis: Redis) {
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command: Command, stream?: Parameters<Redis['sendCommand']>[1]) => {
    if (!trace.getSpan(context.active())) return send(command, stream);
    const operation = command.name.toUpperCase();
    const span = tracer.startSpan(operation, {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system.name': 'redis', 'db.operation.name': operation },
    });
    command.promise.then(
      () => span.end(),
      (err: unknown) => {
        markFailed(span, err);
        span.end();
      },
    );
    return send(command, stream);
  };
}
