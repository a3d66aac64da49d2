/**
 * The chat heartbeat: every interval each socket is visited (pinged, its login session checked)
 * a slice at a time, with a turn of the event loop between slices. Visiting every socket at once
 * held up message delivery for the whole round: a thousand session checks on the embedded
 * database run back to back without yielding (PGlite is synchronous), which stalled every room
 * for several hundred milliseconds once per interval.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Sockets visited per turn of the event loop. A session check on PGlite costs 0.3-1 ms on the
 * bench VM: slices of 25 still held each message up by 50-90 ms for the seconds a round lasted.
 */
export const HEARTBEAT_SLICE = 5;

export interface HeartbeatOptions<S> {
  intervalMs: number;
  sliceSize?: number;
  /** The sockets of this round, read once when it starts. */
  sockets(): Iterable<S>;
  /** Pings one socket and checks its session; the round waits for the slice's visits before moving on. */
  visit(socket: S): Promise<unknown> | undefined;
}

/** Starts the rounds; a round still running when the next is due lets that one go (no overlap). */
export function startHeartbeat<S>(options: HeartbeatOptions<S>): { stop(): void } {
  const sliceSize = options.sliceSize ?? HEARTBEAT_SLICE;
  let stopped = false;
  let running = false;

  async function round() {
    if (running) return;
    running = true;
    try {
      const sockets = [...options.sockets()];
      for (let i = 0; i < sockets.length && !stopped; i += sliceSize) {
        // Settled, not all: a failed visit (its own to log) must not end the round for the others.
        await Promise.allSettled(sockets.slice(i, i + sliceSize).map((socket) => options.visit(socket)));
        await nextTurn();
      }
    } finally {
      running = false;
    }
  }

  const timer = setInterval(() => void round(), options.intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
