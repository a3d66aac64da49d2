/**
 * Password hashing with argon2id (by default m=19456 KiB, t=2, p=1, the OWASP baseline). At most
 * `concurrency` hashes run at once; the rest queue, so a login flood cannot take every core
 * from the other routes. The cost is configurable so the test suite can hash cheaply; a hash
 * carries its own parameters, so hashes made at any cost keep verifying after a change.
 */
import { hash, verify } from '@node-rs/argon2';

/** argon2id cost: memory in KiB and passes. */
export interface HashCost {
  memoryKib: number;
  timeCost: number;
}

/** The OWASP baseline for argon2id; the defaults of PASSWORD_HASH_MEMORY_KIB and PASSWORD_HASH_TIME_COST. */
export const OWASP_HASH_COST: HashCost = { memoryKib: 19_456, timeCost: 2 };

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Constant-shape check; with `null` it still does the work so unknown accounts take as long. */
  verify(storedHash: string | null, password: string): Promise<boolean>;
  /** Hashes waiting for a free slot right now (a metric: a growing queue means a login flood). */
  queued(): number;
}

/** Runs at most `limit` tasks at once, in arrival order; `queued()` tells how many wait. */
export function createSemaphore(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running >= limit) await new Promise<void>((resume) => waiting.push(resume));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  }
  return Object.assign(run, { queued: () => waiting.length });
}

/** Creates the hasher. */
export function createPasswordHasher(options: { concurrency: number; cost?: HashCost }): PasswordHasher {
  const { memoryKib, timeCost } = options.cost ?? OWASP_HASH_COST;
  // 2 = Argon2id (a const enum in the typings, which isolated modules cannot read).
  const PARAMS = { algorithm: 2, memoryCost: memoryKib, timeCost, parallelism: 1 } as const;
  const run = createSemaphore(options.concurrency);
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => run(() => hash(password, PARAMS)),
    async verify(storedHash, password) {
      dummy ??= hash('not-a-real-password-for-timing', PARAMS);
      const target = storedHash ?? (await dummy);
      const ok = await run(() => verify(target, password).catch(() => false));
      return storedHash !== null && ok;
    },
    queued: run.queued,
  };
}
