/**
 * Request coalescing: concurrent callers asking for the same key share one in-flight promise,
 * so a burst of identical requests costs one upstream call. Per process; the shared cache
 * behind it is what spares the other instances.
 */

/** Runs at most one `work` per key at a time; later callers of the same key get the same promise. */
export interface SingleFlight<T> {
  run(key: string, work: () => Promise<T>): Promise<T>;
  /** Keys with work in flight. */
  readonly size: number;
}

/** Creates an empty single-flight group. */
export function createSingleFlight<T>(): SingleFlight<T> {
  const inFlight = new Map<string, Promise<T>>();
  return {
    run(key, work) {
      const existing = inFlight.get(key);
      if (existing) return existing;
      // Start `work` asynchronously so a synchronous throw also lands in the shared promise.
      const promise = Promise.resolve()
        .then(work)
        .finally(() => inFlight.delete(key));
      inFlight.set(key, promise);
      return promise;
    },
    get size() {
      return inFlight.size;
    },
  };
}
