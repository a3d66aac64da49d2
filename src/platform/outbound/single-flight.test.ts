import { describe, expect, it } from 'vitest';
import { createSingleFlight } from './single-flight.js';

const deferred = <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('single flight', () => {
  it('when 100 callers ask for one key at once, then the work runs once and all get its result', async () => {
    const flight = createSingleFlight<string>();
    const gate = deferred<string>();
    let runs = 0;
    const work = () => {
      runs += 1;
      return gate.promise;
    };
    const all = Promise.all(Array.from({ length: 100 }, () => flight.run('k', work)));
    expect(flight.size).toBe(1);
    gate.resolve('v');
    expect(await all).toEqual(Array(100).fill('v'));
    expect(runs).toBe(1);
    expect(flight.size).toBe(0);
  });

  it('when the shared work fails, then every waiter gets the error and the next call runs again', async () => {
    const flight = createSingleFlight<string>();
    let runs = 0;
    const work = async () => {
      runs += 1;
      if (runs === 1) throw new Error('down');
      return 'up';
    };
    const results = await Promise.allSettled([flight.run('k', work), flight.run('k', work)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await flight.run('k', work)).toBe('up');
    expect(runs).toBe(2);
  });

  it('when keys differ, then their work runs separately', async () => {
    const flight = createSingleFlight<string>();
    let runs = 0;
    const work = async () => String(++runs);
    expect(new Set(await Promise.all([flight.run('a', work), flight.run('b', work)])).size).toBe(2);
  });

  it('when the work throws synchronously, then the caller gets a rejected promise', async () => {
    const flight = createSingleFlight<string>();
    await expect(
      flight.run('k', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(flight.size).toBe(0);
  });
});
