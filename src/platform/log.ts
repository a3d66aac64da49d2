/** The process logger: pino, JSON lines, secrets redacted. Modules take child loggers from it. */
import { type Logger, pino } from 'pino';

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

/** Creates the root logger at `level`, writing JSON lines to `destination` (stdout by default). */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
