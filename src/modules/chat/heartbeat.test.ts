import { afterEach, describe, expect, it } from 'vitest';
import { startHeartbeat } from './heartbeat.js';

describe('chat heartbeat', () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  /** Runs rounds over `sockets` until every one was visited once; returns the order of visits and of other callbacks. */
  function firstRound(sockets: string[], sliceSize: number, visit: (socket: string, log: string[]) => Promise<unknown> | undefined) {
    const log: string[] = [];
    return new Promise<string[]>((resolve) => {
      const seen = new Set<string>();
      stop = startHeartbeat({
        intervalMs: 5,
        sliceSize,
        sockets: () => sockets,
        visit(socket) {
          log.push(socket);
          seen.add(socket);
          const done = visit(socket, log);
          if (seen.size === sockets.length) setImmediate(() => resolve(log));
          return done;
        },
      }).stop;
    });
  }

  it('when a round has more sockets than a slice, then every socket is visited and other work runs between slices', async () => {
    const sockets = ['a', 'b', 'c', 'd', 'e'];
    const log = await firstRound(sockets, 2, (socket, log) => {
      // Stands for a frame that arrived meanwhile: it must not wait for the whole round.
      if (socket === 'a') setImmediate(() => log.push('frame'));
      return Promise.resolve();
    });
    expect(log.slice(0, 6)).toEqual(['a', 'b', 'frame', 'c', 'd', 'e']);
  });

  it('when a visit fails, then the round still visits the sockets after it', async () => {
    const log = await firstRound(['a', 'b', 'c'], 1, (socket) => (socket === 'a' ? Promise.reject(new Error('check failed')) : undefined));
    expect(log.slice(0, 3)).toEqual(['a', 'b', 'c']);
  });

  it('when a slice waits for its session checks, then the next slice starts only after they are done', async () => {
    let release: () => void = () => {};
    const slow = new Promise<void>((r) => {
      release = r;
    });
    const order: string[] = [];
    const log = firstRound(['a', 'b'], 1, (socket) => {
      if (socket === 'a') {
        setTimeout(() => {
          order.push('a checked');
          release();
        }, 20);
        return slow;
      }
      order.push('b visited');
      return undefined;
    });
    await log;
    expect(order).toEqual(['a checked', 'b visited']);
  });
});
