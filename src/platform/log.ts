/**
 * The process logger: pino, secrets redacted. Modules take child loggers from it. JSON lines for
 * machines; for a person at a terminal, the same records through pino-pretty (a devDependency,
 * so a production install falls back to JSON lines).
 */
import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, pino, stdSerializers } from 'pino';
import { constraintOf, pgCode } from './db/errors.js';

/**
 * Paths never written to the log. They are explicit (no `*.password` wildcards): a wildcard
 * makes pino run the redactor over every child logger's bindings, which was 8% of the CPU of
 * a small request. Code that logs a body or headers logs them under these keys.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'body.password',
  'body.currentPassword',
  'body.newPassword',
  'body.refreshToken',
  'body.token',
];

// Drizzle's DrizzleQueryError message is "Failed query: <sql>\nparams: <values>", and the stack
// repeats it; the values run until the first stack frame (a value may hold newlines).
const PARAMS_IN_TEXT = /\nparams: [\s\S]*?(?=\n {4}at |\ncaused by: |$)/g;
// PostgreSQL quotes the offending input in data exceptions (class 22): `invalid input syntax for type uuid: "..."`.
const QUOTED_INPUT = /: "(?:[^"\\]|\\.)*"/g;
// Fields of pg / PGlite errors that carry row or parameter values ("Key (email)=(a@b.c) already exists.").
const VALUE_FIELDS = ['params', 'parameters', 'detail', 'where', 'internalQuery'];

/** PostgreSQL's own message (the innermost error with a SQLSTATE); it names constraints, not values. */
function databaseMessage(err: unknown): string | undefined {
  let found: string | undefined;
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e.code === 'string' && typeof e.message === 'string') found = e.message;
  }
  return found;
}

/**
 * The `err` serializer: pino's, minus what a database error carries of the data itself (bound
 * parameters, the failing row), plus its SQLSTATE and constraint, which are what an operator needs.
 * The query text stays: drizzle binds every value, so it holds only placeholders.
 */
export function serializeError(err: unknown): Record<string, unknown> {
  const out = stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if ((out as unknown) === err) return out; // not an error: pino passes it through, and so do we
  const code = pgCode(err);
  const isDatabaseError = code !== undefined || (typeof out.message === 'string' && out.message.includes('\nparams: '));
  if (!isDatabaseError) return out;
  for (const field of VALUE_FIELDS) delete out[field];
  for (const field of ['message', 'stack'] as const) {
    const text = out[field];
    if (typeof text !== 'string') continue;
    const withoutParams = text.replace(PARAMS_IN_TEXT, '\nparams: [redacted]');
    out[field] = code?.startsWith('22') ? withoutParams.replace(QUOTED_INPUT, ': "[redacted]"') : withoutParams;
  }
  if (code) {
    out.sqlState = code;
    const message = databaseMessage(err);
    if (message) out.databaseMessage = code.startsWith('22') ? message.replace(QUOTED_INPUT, ': "[redacted]"') : message;
  }
  const constraint = constraintOf(err);
  if (constraint) out.constraint = constraint;
  return out;
}

/** How log records are written: `json` lines, `pretty` for people, `auto` = pretty on a terminal. */
export type LogFormat = 'json' | 'pretty' | 'auto';

function traceIdsOfActiveSpan(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/**
 * Creates the root logger at `level`, writing to `destination` (stdout by default) in `format`
 * (`json` by default). `pretty` falls back to JSON when pino-pretty is not installed. `traceIds`
 * adds the active span's trace_id and span_id to every line (tracing on).
 */
export function createLogger(
  level: string,
  destination?: NodeJS.WritableStream,
  format: LogFormat = 'json',
  { traceIds = false }: { traceIds?: boolean } = {},
): Logger {
  const options = {
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { err: serializeError },
    // With tracing on, a line written inside a span names it, so logs and traces join up.
    ...(traceIds ? { mixin: traceIdsOfActiveSpan } : {}),
  };
  const target = destination ?? process.stdout;
  const pretty = format === 'pretty' || (format === 'auto' && (target as { isTTY?: boolean }).isTTY === true);
  const prettyStream = pretty ? openPrettyStream(target) : undefined;
  if (prettyStream) return pino(options, prettyStream);
  return destination ? pino(options, destination) : pino(options);
}

type PrettyFactory = (options: Record<string, unknown>) => DestinationStream;

/** pino-pretty writing to `target`, or undefined when it is not installed (production). */
function openPrettyStream(target: NodeJS.WritableStream, load: () => unknown = loadPinoPretty): DestinationStream | undefined {
  let factory: PrettyFactory;
  try {
    factory = load() as PrettyFactory;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
  // In-process and synchronous: no worker thread, and nothing lost when the process exits.
  return factory({
    destination: target,
    sync: true,
    colorize: (target as { isTTY?: boolean }).isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

function loadPinoPretty(): unknown {
  return createRequire(import.meta.url)('pino-pretty');
}

/** For tests: the pretty stream with a chosen loader, to show the fallback when pino-pretty is absent. */
export const testing = { openPrettyStream };
