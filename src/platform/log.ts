/** The process logger: pino, JSON lines, secrets redacted. Modules take child loggers from it. */
import { type Logger, pino } from 'pino';

/** Paths never written to the log, wherever they appear in a logged object. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.refreshToken',
  '*.token',
];

/** Creates the root logger at `level`. */
export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } });
}
