/**
 * Transactional outbox. A module writes its events with `enqueueEvent(tx, ...)` inside the
 * transaction that makes the change, so an event exists exactly when the change committed.
 * The relay reads committed, unsent rows, publishes them on the bus and marks them sent in one
 * transaction. Rows are claimed with `FOR UPDATE SKIP LOCKED`, so several relays (several
 * instances, or several modules in one process) share the work and never publish a row twice.
 *
 * Delivery is at least once: if the process dies between the bus accepting an event and the
 * commit that marks it sent, it is published again on the next run. Consumers dedupe on the
 * event id, which is the outbox row id.
 */
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { inArray, lt, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Executor } from '../db/database.js';
import { prepareStatement } from '../db/prepared-statement.js';
import { rowsOf } from '../db/rows.js';
import { newId } from '../ids.js';
import { contextOf, currentTraceparent, inSpan, SpanKind } from '../tracing/spans.js';
import type { EventBus } from './event-bus.js';
import { outboxEvents } from './tables.js';
import type { EventPayloads } from './typed-events.js';

/**
 * Writes an event in the caller's transaction. It is published only after that transaction
 * commits, and never if it rolls back. Returns the event id. Call `relay.kick()` after commit
 * so it goes out at once instead of at the next poll.
 */
export async function enqueueEvent<P extends object = EventPayloads, K extends keyof P & string = keyof P & string>(
  tx: Executor,
  type: K,
  payload: P[K],
): Promise<string> {
  const id = newId();
  await insertEventStatement(tx, { id, type, payload: JSON.stringify(payload), traceContext: currentTraceparent() ?? null });
  return id;
}

// Every write that publishes an event runs this, usually inside the request's transaction: prepared once.
const insertEventStatement = prepareStatement(
  'platform_outbox_insert',
  sql`insert into ${outboxEvents} (id, type, payload, trace_context)
      values (${sql.placeholder('id')}, ${sql.placeholder('type')}, ${sql.placeholder('payload')}::jsonb, ${sql.placeholder('traceContext')})`,
);

/** One event of the map `P` (by default, any event of the app), as `enqueueEvents` takes it. */
export type OutgoingEvent<P extends object = EventPayloads> = { [K in keyof P & string]: { type: K; payload: P[K] } }[keyof P & string];

/** Writes several events in the caller's transaction with one statement. */
export async function enqueueEvents<P extends object = EventPayloads>(tx: Executor, events: OutgoingEvent<P>[]): Promise<void> {
  if (events.length === 0) return;
  const traceContext = currentTraceparent();
  // Chunked: one statement is bounded by the 65535 bind parameters of the wire protocol.
  for (let i = 0; i < events.length; i += 5000) {
    await tx
      .insert(outboxEvents)
      .values(events.slice(i, i + 5000).map((e) => ({ id: newId(), type: e.type, payload: e.payload, traceContext })));
  }
}

interface ClaimedRow {
  id: string;
  type: string;
  payload: unknown;
  traceContext: string | null;
}

/**
 * Claims a batch and marks it sent in one statement; the row locks hold until commit, and a
 * crash before it rolls the mark back, so nothing is lost, only published again. Prepared: every
 * write that publishes an event is followed by a drain.
 */
const claimBatchStatement = prepareStatement(
  'platform_outbox_claim',
  sql`update ${outboxEvents} set sent_at = now()
      where id in (select id from ${outboxEvents} where sent_at is null order by id limit ${sql.placeholder('limit')} for update skip locked)
      returning id, type, payload, trace_context as "traceContext"`,
);

/** Publishes committed outbox rows on the bus. */
export interface OutboxRelay {
  /** Starts polling (a safety net: normally `kick` sends events at once). */
  start(): void;
  /** Drains the outbox now; call after a transaction that enqueued events commits. Never throws. */
  kick(): void;
  /** Resolves when every row committed before the call has been handled (tests, shutdown). */
  flush(): Promise<void>;
  /** Stops polling and waits for a drain in progress. */
  stop(): Promise<void>;
}

export interface OutboxRelayOptions {
  db: Executor;
  /** The transport: the relay moves committed rows of any type (they were typed when written). */
  bus: EventBus;
  log: Logger;
  /** How often to look for rows nobody kicked (another instance's, or after a failure). */
  pollIntervalMs?: number;
  batchSize?: number;
  /** Sent rows older than this are deleted (they are only kept for inspection). */
  retentionMs?: number;
}

export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, bus, log } = options;
  const batchSize = options.batchSize ?? 100;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const retentionMs = options.retentionMs ?? 7 * 86_400_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let started = false;
  let lastPrune = 0;

  /** Claims one batch, publishes it and marks what was published. Returns rows claimed. */
  async function drainBatch(): Promise<number> {
    return db.transaction(async (tx) => {
      const rows = rowsOf<ClaimedRow>(await claimBatchStatement(tx, { limit: batchSize })).sort((a, b) =>
        a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
      );
      for (const [i, row] of rows.entries()) {
        try {
          await publishRow(row);
        } catch (err) {
          // Keep order: stop at the first failure; it and the rows after it stay unsent, retried later.
          log.error({ err, eventId: row.id, eventType: row.type }, 'outbox publish failed; will retry');
          const unsent = rows.slice(i).map((r) => r.id);
          await tx
            .update(outboxEvents)
            .set({ sentAt: null, attempts: sql`${outboxEvents.attempts} + case when ${outboxEvents.id} = ${row.id} then 1 else 0 end` })
            .where(inArray(outboxEvents.id, unsent));
          return 0;
        }
      }
      return rows.length;
    });
  }

  /** With tracing on, a producer span in the trace of the request that wrote the row; its context travels with the event. */
  function publishRow(row: ClaimedRow) {
    return inSpan(
      `publish ${row.type}`,
      {
        kind: SpanKind.PRODUCER,
        parent: contextOf(row.traceContext ?? undefined),
        attributes: { 'messaging.operation.type': 'send', 'messaging.destination.name': row.type, 'messaging.message.id': row.id },
      },
      () => bus.publish(row.type, row.payload, row.id, currentTraceparent()),
    );
  }

  async function prune() {
    if (Date.now() - lastPrune < 3_600_000) return;
    lastPrune = Date.now();
    const seconds = `${Math.floor(retentionMs / 1000)} seconds`;
    await db.delete(outboxEvents).where(lt(outboxEvents.sentAt, sql`now() - ${seconds}::interval`));
  }

  async function drain() {
    do {
      again = false;
      try {
        while ((await drainBatch()) === batchSize) {}
        await prune();
      } catch (err) {
        log.error({ err }, 'outbox relay failed; will retry at the next poll');
        return;
      }
    } while (again);
  }

  function kick() {
    if (!started) return;
    if (running) {
      // A drain is in progress but may have read before this commit: run once more after it.
      again = true;
      return;
    }
    // Outside the kicking request's trace: each row's publish joins the trace that wrote the row.
    running = context.with(ROOT_CONTEXT, drain).finally(() => {
      running = undefined;
    });
  }

  return {
    start() {
      if (started) return;
      started = true;
      timer = setInterval(kick, pollIntervalMs);
      timer.unref();
      kick();
    },
    kick,
    async flush() {
      kick();
      while (running) await running;
    },
    async stop() {
      started = false;
      clearInterval(timer);
      while (running) await running;
    },
  };
}
