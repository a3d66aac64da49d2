/**
 * Coded errors. A module declares each of its failures once with `defineError`; the single
 * error handler renders any of them as RFC 9457 problem details.
 */

/** One field-level problem inside a 400 VALIDATION_FAILED (or a per-row import failure). */
export interface FieldError {
  path: string;
  message: string;
}

/** An expected failure with a stable code, an HTTP status and a human title. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    /** Extra members of the problem document (e.g. `errors`, `limit`). */
    readonly extras: Record<string, unknown> = {},
    /** Response headers that belong to the failure (e.g. Retry-After, WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }

  /** The problem `type`, a relative URI derived from the code: OUT_OF_STOCK -> /problems/out-of-stock. */
  get type(): string {
    return `/problems/${this.code.toLowerCase().replaceAll('_', '-')}`;
  }
}

/** Makes an error of one code; call it with the detail of this occurrence. */
export interface ErrorFactory {
  (detail?: string, extras?: Record<string, unknown>, headers?: Record<string, string>): AppError;
  readonly code: string;
  readonly status: number;
  readonly title: string;
  /** True when `err` was made by this factory. */
  is(err: unknown): err is AppError;
}

/** Declares a coded error: `const TodoNotFound = defineError('TODO_NOT_FOUND', 404, 'Todo not found')`. */
export function defineError(code: string, status: number, title: string): ErrorFactory {
  const make = (detail = title, extras: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    new AppError(code, status, title, detail, extras, headers);
  return Object.assign(make, {
    code,
    status,
    title,
    is: (err: unknown): err is AppError => err instanceof AppError && err.code === code,
  });
}

/** Errors the platform itself raises; modules may reuse them. */
export const ValidationFailed = defineError('VALIDATION_FAILED', 400, 'Invalid request');
export const Unauthorized = defineError('UNAUTHORIZED', 401, 'Authentication required');
export const Forbidden = defineError('FORBIDDEN', 403, 'Not allowed');
export const NotFound = defineError('NOT_FOUND', 404, 'Not found');
export const PreconditionFailed = defineError('PRECONDITION_FAILED', 412, 'Precondition failed');
export const PayloadTooLarge = defineError('PAYLOAD_TOO_LARGE', 413, 'Payload too large');
export const UnsupportedMediaType = defineError('UNSUPPORTED_MEDIA_TYPE', 415, 'Unsupported media type');
export const RateLimited = defineError('RATE_LIMITED', 429, 'Too many requests');
export const Internal = defineError('INTERNAL', 500, 'Internal server error');
export const Unavailable = defineError('UNAVAILABLE', 503, 'Service unavailable');
