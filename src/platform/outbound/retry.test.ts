import { describe, expect, it } from 'vitest';
import { backoffDelay, retryWithBackoff } from './retry.js';

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 250, maxRetryAfterMs: 1000 };

function failing(times: number, error: unknown = new Error('boom')) {
  let calls = 0;
  return {
    attempt: async () => {
      calls += 1;
      if (calls <= times) throw error;
      return 'ok';
    },
    get calls() {
      return calls;
    },
  };
}

describe('retryWithBackoff', () => {
  it('when the delay is drawn, then it is a full jitter of the doubled step, capped', () => {
    expect(backoffDelay(1, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(2, policy, () => 0.999)).toBe(199);
    expect(backoffDelay(3, policy, () => 0.999)).toBe(249);
    expect(backoffDelay(9, policy, () => 0.5)).toBe(125);
    expect(backoffDelay(1, policy, () => 0)).toBe(0);
  });

  it('when attempts fail with retryable errors, then it retries until success with growing jittered waits', async () => {
    const waits: number[] = [];
    const op = failing(3);
    const result = await retryWithBackoff(op.attempt, {
      ...policy,
      shouldRetry: () => true,
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 0.5,
    });
    expect(result).toBe('ok');
    expect(op.calls).toBe(4);
    expect(waits).toEqual([50, 100, 125]);
  });

  it('when every attempt fails, then the last error is thrown after `attempts` tries', async () => {
    const op = failing(10, new Error('still down'));
    await expect(retryWithBackoff(op.attempt, { ...policy, shouldRetry: () => true, sleep: async () => {} })).rejects.toThrow('still down');
    expect(op.calls).toBe(4);
  });

  it('when the error is not retryable, then it fails at once', async () => {
    const op = failing(1, new Error('bad request'));
    await expect(retryWithBackoff(op.attempt, { ...policy, shouldRetry: () => false, sleep: async () => {} })).rejects.toThrow(
      'bad request',
    );
    expect(op.calls).toBe(1);
  });

  it('when the failure asks for a short Retry-After, then exactly that delay is waited', async () => {
    const waits: number[] = [];
    const op = failing(1, { retryAfter: 700 });
    await retryWithBackoff(op.attempt, {
      ...policy,
      shouldRetry: () => true,
      retryAfterOf: (err) => (err as { retryAfter: number }).retryAfter,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(waits).toEqual([700]);
  });

  it('when the failure asks for a Retry-After over the cap, then it fails at once without waiting', async () => {
    const waits: number[] = [];
    const op = failing(1, { retryAfter: 5000 });
    await expect(
      retryWithBackoff(op.attempt, {
        ...policy,
        shouldRetry: () => true,
        retryAfterOf: (err) => (err as { retryAfter: number }).retryAfter,
        sleep: async (ms) => {
          waits.push(ms);
        },
      }),
    ).rejects.toEqual({ retryAfter: 5000 });
    expect(op.calls).toBe(1);
    expect(waits).toEqual([]);
  });
});
