/**
 * Retries with exponential backoff and full jitter (a random delay between 0 and the capped
 * exponential step), so many clients that failed together do not retry together. A failure
 * that carries its own Retry-After is retried after exactly that delay when it is short
 * enough, and given up on at once when it is not.
 */

/** How hard to retry. */
export interface RetryPolicy {
  /** Attempts in total, the first included: 1 means no retry. */
  attempts: number;
  /** Upper bound of the first retry's delay; each further retry doubles it. */
  baseDelayMs: number;
  /** Upper bound of any backoff delay. */
  maxDelayMs: number;
  /** The longest Retry-After worth waiting for inside one call; longer ones fail at once. */
  maxRetryAfterMs: number;
}

/** What `retryWithBackoff` needs besides the policy. Timers and randomness are injectable for tests. */
export interface RetryOptions extends RetryPolicy {
  /** Whether this failure is worth another attempt. */
  shouldRetry(err: unknown): boolean;
  /** The delay the failure itself asks for (a 429's Retry-After), if any. */
  retryAfterOf?(err: unknown): number | undefined;
  /** Called before each wait, e.g. to log. `attempt` is the one that just failed (1-based). */
  onRetry?(err: unknown, attempt: number, delayMs: number): void;
  sleep?(ms: number): Promise<void>;
  /** A number in [0, 1). */
  random?(): number;
}

/** The jittered delay before retry number `retry` (1 = the first retry). */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random) {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, the failure is not retryable, or the attempts run out;
 * then throws the last failure unchanged.
 */
export async function retryWithBackoff<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (n >= options.attempts || !options.shouldRetry(err)) throw err;
      const asked = options.retryAfterOf?.(err);
      if (asked !== undefined && asked > options.maxRetryAfterMs) throw err;
      const delay = asked ?? backoffDelay(n, options, random);
      options.onRetry?.(err, n, delay);
      await sleep(delay);
    }
  }
}
