/**
 * The one error type an outbound call fails with. `kind` says what went wrong in terms the
 * caller can act on (retry, open the breaker, serve stale data, map to 502/503/504); the
 * upstream's own body is kept for the log and for adapters that need it (a declined payment),
 * never meant to be forwarded to our clients as is.
 */

/** What went wrong with an outbound call. */
export type OutboundFailure =
  /** No answer within the per-call timeout. */
  | 'timeout'
  /** Connection refused or reset, DNS failure, an unexpected redirect. */
  | 'network'
  /** The upstream answered a non-2xx status other than 429 (see `status`). */
  | 'status'
  /** The upstream answered 429; `retryAfterMs` holds its Retry-After when it sent one. */
  | 'rate-limited'
  /** The circuit breaker refused the call without trying; `retryAfterMs` says when to try again. */
  | 'circuit-open'
  /** The body was not JSON, too large, or did not match the expected schema. */
  | 'bad-response';

/** An outbound call that did not produce a usable answer. */
export class OutboundError extends Error {
  constructor(
    readonly kind: OutboundFailure,
    /** The client's name, so logs say which upstream failed. */
    readonly upstream: string,
    message: string,
    readonly details: {
      status?: number;
      retryAfterMs?: number;
      /** The upstream's error body (parsed JSON when it was JSON), for logs and adapters. */
      body?: unknown;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'OutboundError';
  }

  get status(): number | undefined {
    return this.details.status;
  }

  get retryAfterMs(): number | undefined {
    return this.details.retryAfterMs;
  }
}

/** True for failures a second attempt may fix: timeouts, network errors, 5xx and 429. */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof OutboundError)) return false;
  switch (err.kind) {
    case 'timeout':
    case 'network':
    case 'rate-limited':
      return true;
    case 'status':
      return (err.status ?? 0) >= 500;
    default:
      return false;
  }
}

/**
 * True for failures that say the upstream is unhealthy and count towards opening the breaker.
 * A 4xx other than 429 means our request was wrong, not that the upstream is down; a 429 is
 * handled by opening the breaker for exactly its Retry-After instead.
 */
export function isUpstreamFault(err: unknown): boolean {
  if (!(err instanceof OutboundError)) return false;
  switch (err.kind) {
    case 'timeout':
    case 'network':
    case 'bad-response':
      return true;
    case 'status':
      return (err.status ?? 0) >= 500;
    default:
      return false;
  }
}

/**
 * Parses a Retry-After header (delay-seconds or an HTTP-date) into milliseconds from `nowMs`.
 * Returns undefined when absent or unparseable; a date in the past gives 0.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
