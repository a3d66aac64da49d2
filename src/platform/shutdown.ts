/**
 * Graceful shutdown: on SIGTERM or SIGINT stop accepting, let in-flight requests finish
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
