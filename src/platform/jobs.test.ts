import { afterEach, describe, expect, it, vi } from 'vitest';
import { startJobs } from './jobs.js';
import { createLogger } from './log.js';

const log = createLogger('silent');

describe('module jobs', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('when the interval passes, then the job runs; runAtStart runs it at once too', async () => {
    vi.useFakeTimers();
    const every = vi.fn(async () => {});
    const atStart = vi.fn(async () => {});
    const jobs = startJobs(
      [
        { name: 'a.every', everyMs: 1000, run: every },
        { name: 'b.start', everyMs: 1000, runAtStart: true, run: atStart },
      ],
      log,
    );
    expect(every).toHaveBeenCalledTimes(0);
    expect(atStart).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(every).toHaveBeenCalledTimes(2);
    expect(atStart).toHaveBeenCalledTimes(3);
    await jobs.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(every).toHaveBeenCalledTimes(2);
  });

  it('when a run fails, then the job runs again at its next interval', async () => {
    vi.useFakeTimers();
    const run = vi.fn().mockRejectedValueOnce(new Error('database away')).mockResolvedValue(undefined);
    const jobs = startJobs([{ name: 'a.flaky', everyMs: 100, run }], log);
    await vi.advanceTimersByTimeAsync(200);
    expect(run).toHaveBeenCalledTimes(2);
    await jobs.stop();
  });

  it('when a run is still going at the next interval, then it is not started twice, and stop waits for it', async () => {
    vi.useFakeTimers();
    let finish: () => void = () => {};
    let finished = false;
    const run = vi.fn(
      () =>
        new Promise<void>((resolve) => {
          finish = () => {
            finished = true;
            resolve();
          };
        }),
    );
    const jobs = startJobs([{ name: 'a.slow', everyMs: 100, run }], log);
    await vi.advanceTimersByTimeAsync(350);
    expect(run).toHaveBeenCalledTimes(1);
    const stopped = jobs.stop();
    finish();
    await stopped;
    expect(finished).toBe(true);
  });
});
