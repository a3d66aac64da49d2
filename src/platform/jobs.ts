/**
 * Background jobs a module declares in its `jobs` entry (sweepers, cleanups, purges). The app
 * starts them after the modules started and stops them before the modules stop. A run never
 * overlaps the previous one of the same job; a failure is logged and the job runs again at
 * its next interval. Jobs keep their state in PostgreSQL (row locks, SKIP LOCKED), so any
 * number of instances may run them.
 */
import type { Logger } from 'pino';

export interface Job {
  /** `<module>.<what>`, for logs. */
  readonly name: string;
  readonly everyMs: number;
  /** Also run once right after start (e.g. to finish what a crash interrupted). */
  readonly runAtStart?: boolean;
  run(): Promise<unknown>;
}

export interface RunningJobs {
  /** Stops the timers and waits for runs in progress. */
  stop(): Promise<void>;
}

export function startJobs(jobs: readonly Job[], log: Logger): RunningJobs {
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;

  const runOnce = (job: Job) => {
    if (stopped || inFlight.has(job.name)) return;
    const run = job
      .run()
      .then(
        (result) => log.debug({ job: job.name, result }, 'job ran'),
        (err) => log.error({ err, job: job.name }, 'job failed; it runs again at its next interval'),
      )
      .finally(() => inFlight.delete(job.name));
    inFlight.set(job.name, run);
  };

  for (const job of jobs) {
    const timer = setInterval(() => runOnce(job), job.everyMs);
    // A job never keeps the process alive on shutdown.
    timer.unref();
    timers.push(timer);
    if (job.runAtStart) runOnce(job);
  }

  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.all(inFlight.values());
    },
  };
}
