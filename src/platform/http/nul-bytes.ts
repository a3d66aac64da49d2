/**
 * PostgreSQL cannot store U+0000 in text: a string carrying one fails inside the query and the
 * client would get a 500. No field of this API has a use for it, so one platform-wide rule
 * answers 400 with the field's path before any handler runs (`installNulByteGuard`), and other
 * entry points (WebSocket frames, multipart fields) call `findNulByte` themselves.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationFailed } from './errors.js';

const pointer = (segment: string | number) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`;

/**
 * The JSON pointer of the first string (value or object key) in `value` that contains a NUL
 * character, or `undefined` when there is none. `base` prefixes the path (e.g. `/query`).
 */
export function findNulByte(value: unknown, base = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? base || '/' : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNulByte(value[i], base + pointer(i));
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (Buffer.isBuffer(value)) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return base + pointer(key);
    const found = findNulByte(item, base + pointer(key));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The platform's 400 VALIDATION_FAILED naming `path`. */
function nulByteError(path: string) {
  const message = 'must not contain the NUL character (U+0000)';
  return ValidationFailed(`${path} ${message}`, { errors: [{ path, message }] });
}

/** Throws the platform's 400 VALIDATION_FAILED naming `path`. */
export function rejectNulByte(path: string): never {
  throw nulByteError(path);
}

const PARTS = [
  ['params', '/params'],
  ['query', '/querystring'],
  ['body', ''],
] as const;

/** Answers 400 on every route whose path parameters, query or JSON body carry a NUL character. */
export function installNulByteGuard(app: FastifyInstance) {
  // A callback hook: every request passes here, and an async one costs each a promise.
  app.addHook('preValidation', (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
    for (const [part, base] of PARTS) {
      const found = findNulByte(request[part], base);
      if (found !== undefined) return done(nulByteError(found));
    }
    done();
  });
}
