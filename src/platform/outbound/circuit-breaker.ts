/**
 * A circuit breaker: after `failureThreshold` consecutive upstream faults it opens and refuses
 * calls at once (so callers answer 503 + Retry-After instead of queueing on a dead upstream);
 * after `cooldownMs` it lets exactly one probe through (half-open); the probe's outcome closes
 * it or opens it again for another cooldown.
 *
 * The state lives in this process: each instance of a horizontally scaled service learns on its
 * own that an upstream is down, which costs at most `failureThreshold` failed calls per instance.
 * Time comes from the platform Clock, so tests cross the cooldown without waiting.
 */
import type { Clock } from '../clock.js';

/** closed: calls flow; open: calls are refused; half-open: one probe call is in flight or allowed. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Thrown instead of calling the upstream while the circuit is open (or a probe is in flight). */
export class CircuitOpenError extends Error {
  constructor(
    readonly circuit: string,
    /** How long until a call may be tried again. */
    readonly retryAfterMs: number,
  ) {
    super(`Circuit '${circuit}' is open; retry in ${Math.ceil(retryAfterMs / 1000)}s`);
    this.name = 'CircuitOpenError';
  }
}

export interface CircuitBreakerOptions {
  /** Names the circuit in errors and logs. */
  name: string;
  clock: Clock;
  /** Consecutive faults that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before a probe is allowed. */
  cooldownMs: number;
  /** Which failures count as upstream faults; others (e.g. a 404) count as a healthy answer. Default: all. */
  isFault?(err: unknown): boolean;
  /** Called on every transition, e.g. to log it. */
  onStateChange?(from: CircuitState, to: CircuitState): void;
}

/** A circuit breaker guarding one upstream. */
export interface CircuitBreaker {
  readonly name: string;
  /** The state now (an open circuit whose cooldown has passed reads as half-open). */
  state(): CircuitState;
  /** Runs `call` when the circuit allows it and records the outcome; throws CircuitOpenError otherwise. */
  run<T>(call: () => Promise<T>): Promise<T>;
  /**
   * Opens the circuit for at least `ms`, whatever its state: the upstream told us to back off
   * (a 429 with a long Retry-After), so every caller should, without spending a call to learn it.
   */
  openFor(ms: number): void;
}

// While a probe is in flight, other callers are told to come back shortly.
const PROBE_BUSY_RETRY_MS = 1000;

/** Creates a closed circuit breaker. */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const now = () => options.clock.now().getTime();
  const isFault = options.isFault ?? (() => true);
  let state: 'closed' | 'open' = 'closed';
  let failures = 0;
  let openUntil = 0;
  let probing = false;

  const current = (): CircuitState => {
    if (state === 'closed') return 'closed';
    return probing || now() >= openUntil ? 'half-open' : 'open';
  };

  const transition = (from: CircuitState, to: CircuitState) => {
    if (from !== to) options.onStateChange?.(from, to);
  };

  const open = (ms: number) => {
    const from = current();
    state = 'open';
    openUntil = Math.max(openUntil, now() + ms);
    transition(from, 'open');
  };

  const close = () => {
    const from = current();
    state = 'closed';
    failures = 0;
    openUntil = 0;
    transition(from, 'closed');
  };

  // A probe that got an answer closes the circuit, unless openFor() pushed the reopening later meanwhile.
  const settleProbe = () => {
    if (openUntil <= now()) close();
  };

  return {
    name: options.name,
    state: current,
    openFor: open,
    async run(call) {
      const isProbe = state === 'open';
      if (isProbe) {
        const wait = openUntil - now();
        if (wait > 0) throw new CircuitOpenError(options.name, wait);
        if (probing) throw new CircuitOpenError(options.name, PROBE_BUSY_RETRY_MS);
        probing = true;
        transition('open', 'half-open');
      }
      try {
        const result = await call();
        if (isProbe) settleProbe();
        else if (state === 'closed') failures = 0;
        return result;
      } catch (err) {
        if (!isFault(err)) {
          if (isProbe) settleProbe();
        } else if (isProbe) {
          open(options.cooldownMs);
        } else if (state === 'closed' && ++failures >= options.failureThreshold) {
          open(options.cooldownMs);
        }
        throw err;
      } finally {
        if (isProbe) probing = false;
      }
    },
  };
}
