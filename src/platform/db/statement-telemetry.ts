/**
 * What the platform records of each SQL statement: its duration in the
 * `db_client_operation_duration_seconds` histogram (OpenTelemetry's db.client.operation.duration)
 * when metrics are on, and a client span when tracing is on and the statement runs inside a
 * traced request or event (background polls would otherwise start a trace a second).
 */
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { Metrics } from '../metrics/metrics.js';
import { markFailed } from '../tracing/spans.js';
import { tracer, tracingOn } from '../tracing/tracing.js';
import type { QueryObserver } from './query-observer.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const QUERY_TEXT_LIMIT = 2000;

/** The observer for `Database.observe`, or undefined when neither metrics nor tracing is on. */
export function statementTelemetry(metrics: Metrics): QueryObserver | undefined {
  const traced = tracingOn();
  if (!metrics.enabled && !traced) return undefined;
  const duration = metrics.enabled
    ? metrics.histogram(
        'db_client_operation_duration_seconds',
        'Duration of SQL statements, by operation and table.',
        ['db_system_name', 'db_operation_name', 'db_collection_name'],
        BUCKETS,
      )
    : undefined;
  return (statement) => {
    const started = performance.now();
    const span =
      traced && trace.getSpan(context.active())
        ? tracer.startSpan(statement.collection ? `${statement.operation} ${statement.collection}` : statement.operation, {
            kind: SpanKind.CLIENT,
            attributes: {
              'db.system.name': 'postgresql',
              'db.operation.name': statement.operation,
              ...(statement.collection ? { 'db.collection.name': statement.collection } : {}),
              // Parameterised: drizzle binds every value, so the text holds placeholders, not data.
              'db.query.text': statement.text.slice(0, QUERY_TEXT_LIMIT),
            },
          })
        : undefined;
    return (error) => {
      duration?.observe(
        { db_system_name: 'postgresql', db_operation_name: statement.operation, db_collection_name: statement.collection ?? '' },
        (performance.now() - started) / 1000,
      );
      if (!span) return;
      if (error) markFailed(span, error);
      span.end();
    };
  };
}
