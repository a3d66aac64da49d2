/**
 * The platform's own gauges, read when Prometheus scrapes (nothing runs between scrapes):
 * the outbox backlog and the age of its oldest unsent row, each event consumer's lag and open
 * dead letters (per subscribing module and event type), the password-hash queue, the PostgreSQL
 * pool, whether Redis and the event bus are connected, and what became of the trace spans.
 */
import { count, isNull, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { EventBus } from '../bus/event-bus.js';
import { deadEvents, outboxEvents } from '../bus/tables.js';
import type { Database } from '../db/database.js';
import type { SpanTally } from '../tracing/encoding-span-processor.js';
import type { Metrics } from './metrics.js';

/** Registers the platform's gauges; does nothing when metrics are off. */
export function registerPlatformMetrics(
  metrics: Metrics,
  deps: {
    database: Database;
    redis: Redis | undefined;
    bus: Pick<EventBus, 'check' | 'lag'>;
    passwords: { queued(): number };
    /** What became of the trace spans, where they are exported over OTLP (tracing.ts `spanTally`). */
    spans?: Readonly<SpanTally>;
  },
) {
  const { database } = deps;
  const db = database.db;
  if (!metrics.enabled) return;

  // Both from the partial index of unsent rows, however large the sent history is.
  metrics.gauge('zaplecze_outbox_backlog_events', 'Committed outbox events not yet published on the bus.', async () => {
    const [row] = await db.select({ n: count() }).from(outboxEvents).where(isNull(outboxEvents.sentAt));
    return row?.n ?? 0;
  });
  // Measured by the database's clock, which stamped created_at (not this process's clock).
  metrics.gauge(
    'zaplecze_outbox_oldest_unsent_age_seconds',
    'Age of the oldest outbox event not yet published (0 when the outbox is drained).',
    async () => {
      const [row] = await db
        .select({ age: sql<number | null>`extract(epoch from now() - min(${outboxEvents.createdAt}))::float8` })
        .from(outboxEvents)
        .where(isNull(outboxEvents.sentAt));
      return Math.max(0, Number(row?.age ?? 0));
    },
  );
  // Same labels as the dead letters, so a panel or an alert can put the two side by side.
  metrics.gaugeByLabels(
    'zaplecze_event_consumer_lag_events',
    'Events a subscribing module has not yet handled (waiting, in its handler, or between retries), per module and event type.',
    ['module', 'event_type'],
    async () => (await deps.bus.lag()).map((c) => ({ labels: { module: c.module, event_type: c.type }, value: c.events })),
  );
  metrics.gaugeByLabels(
    'zaplecze_dead_letters',
    'Open (not replayed) dead-lettered events, per subscribing module and event type.',
    ['module', 'event_type'],
    async () => {
      const rows = await db
        .select({ module: deadEvents.module, type: deadEvents.type, n: sql<number>`count(*)::int` })
        .from(deadEvents)
        .where(isNull(deadEvents.replayedAt))
        .groupBy(deadEvents.module, deadEvents.type);
      return rows.map((r) => ({ labels: { module: r.module, event_type: r.type }, value: Number(r.n) }));
    },
  );
  metrics.gauge('zaplecze_password_hash_queue_length', 'Password hashes waiting for a free hashing slot.', () => deps.passwords.queued());

  const { poolStats } = database;
  if (poolStats) {
    metrics.gaugeByLabels(
      'zaplecze_db_pool_connections',
      'PostgreSQL pool connections by state (in_use, idle, waiting).',
      ['state'],
      () => {
        const s = poolStats();
        return [
          { labels: { state: 'in_use' }, value: s.inUse },
          { labels: { state: 'idle' }, value: s.idle },
          { labels: { state: 'waiting' }, value: s.waiting },
        ];
      },
    );
  }
  const { redis } = deps;
  if (redis)
    metrics.gauge('zaplecze_redis_connected', '1 while the Redis connection is ready, else 0.', () => (redis.status === 'ready' ? 1 : 0));
  // Spans lost to a slow or unreachable collector are otherwise only a warning to OpenTelemetry's
  // diag logger, which logs nothing unless one is set.
  const { spans } = deps;
  if (spans)
    metrics.counterByLabels(
      'zaplecze_tracing_spans_total',
      'Sampled spans by what became of them: exported (accepted by the OTLP collector), failed (lost in a failed export), dropped (the export queue was full).',
      ['outcome'],
      () => [
        { labels: { outcome: 'exported' }, value: spans.exported },
        { labels: { outcome: 'failed' }, value: spans.failed },
        { labels: { outcome: 'dropped' }, value: spans.dropped },
      ],
    );
  metrics.gauge(
    'zaplecze_event_bus_connected',
    '1 while the event bus can deliver (NATS connected, consumers bound; always 1 in-process), else 0.',
    () =>
      deps.bus.check().then(
        () => 1,
        () => 0,
      ),
  );
}
