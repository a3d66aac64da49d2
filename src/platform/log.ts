/**
 * The process logger: pino, secrets redacted. Modules take child loggers from it. JSON lines for
 * machines; for a person at a terminal, the same records through pino-pretty (a devDependency,
 * so a production install falls back to JSON lines).
 */
import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, pino } from 'pino';

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

/** How log records are written: `json` lines, `pretty` for people, `auto` = pretty on a terminal. */
export type LogFormat = 'json' | 'pretty' | 'auto';

/**
 * Creates the root logger at `level`, writing to `destination` (stdout by default) in `format`
 * (`json` by default). `pretty` falls back to JSON when pino-pretty is not installed.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream, format: LogFormat = 'json'): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' } };
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
