/**
 * Graceful shutdown: on SIGTERM or SIGINT turn readiness to 503, keep serving for `delayMs` (a
 * gateway's health check notices and stops routing here), then stop accepting, let in-flight requests finish
 * within `timeoutMs`, then close the database and the other ports so nothing committed is
 * lost. A second signal exits at once.
 */
import type { Logger } from 'pino';

interface Closable {
  /** Marks the process as draining (readiness answers 503). */
  drain(): void;
  /** Stops the HTTP server, waiting for in-flight requests. */
  closeServer(): Promise<void>;
  /** Drops connections still open when the timeout runs out. */
  forceCloseConnections(): void;
  /** Closes the ports (database last). */
  closePlatform(): Promise<void>;
}

export interface ShutdownOptions {
  timeoutMs: number;
  /** How long to keep serving after readiness turned 503, so balancers stop routing here first. */
  delayMs?: number;
  log: Logger;
  /** Where signals come from; `process` in production, an emitter in tests. */
  signals?: { once(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown };
  exit?: (code: number) => void;
}

/** Wires the signals; returns the shutdown function so callers can also trigger it. */
export function installGracefulShutdown(target: Closable, options: ShutdownOptions): (reason: string) => Promise<void> {
  const exit = options.exit ?? ((code) => process.exit(code));
  let started: Promise<void> | undefined;

  const shutdown = (reason: string) => {
    started ??= (async () => {
      options.log.info({ reason, timeoutMs: options.timeoutMs }, 'shutting down: no new connections, finishing in-flight requests');
      target.drain();
      if (options.delayMs) {
        options.log.info({ delayMs: options.delayMs }, 'readiness is 503; still serving while balancers notice');
        await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      }
      const timer = setTimeout(() => {
        options.log.warn('shutdown timeout reached: closing the connections still open');
        target.forceCloseConnections();
      }, options.timeoutMs);
      timer.unref();
      let code = 0;
      try {
        await target.closeServer();
      } catch (err) {
        code = 1;
        options.log.error({ err }, 'closing the HTTP server failed');
      } finally {
        clearTimeout(timer);
      }
      try {
        await target.closePlatform();
      } catch (err) {
        code = 1;
        options.log.error({ err }, 'closing the platform failed');
      }
      options.log.info('shutdown complete');
      exit(code);
    })();
    return started;
  };

  const signals = options.signals ?? process;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    signals.once(signal, () => {
      if (started) exit(1);
      void shutdown(signal);
      // A second signal means "now".
      signals.once(signal, () => exit(1));
    });
  }
  return shutdown;
}
