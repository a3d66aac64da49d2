import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../../test/fake-clock.js';
import { CircuitOpenError, type CircuitState, createCircuitBreaker } from './circuit-breaker.js';

class Fault extends Error {}
class Rejection extends Error {}

function setup() {
  const clock = createFakeClock();
  const transitions: string[] = [];
  const breaker = createCircuitBreaker({
    name: 'upstream',
    clock,
    failureThreshold: 3,
    cooldownMs: 10_000,
    isFault: (err) => err instanceof Fault,
    onStateChange: (from: CircuitState, to: CircuitState) => transitions.push(`${from}->${to}`),
  });
  const fail = () => breaker.run(async () => Promise.reject(new Fault('down')));
  const succeed = () => breaker.run(async () => 'ok');
  return { clock, breaker, transitions, fail, succeed };
}

describe('circuit breaker', () => {
  it('when faults stay under the threshold or a success comes between, then it stays closed', async () => {
    const { breaker, fail, succeed } = setup();
    await expect(fail()).rejects.toThrow(Fault);
    await expect(fail()).rejects.toThrow(Fault);
    await succeed();
    await expect(fail()).rejects.toThrow(Fault);
    await expect(fail()).rejects.toThrow(Fault);
    expect(breaker.state()).toBe('closed');
  });

  it('when consecutive faults reach the threshold, then it opens and refuses calls without running them', async () => {
    const { breaker, fail, clock } = setup();
    for (let i = 0; i < 3; i++) await expect(fail()).rejects.toThrow(Fault);
    expect(breaker.state()).toBe('open');
    let ran = false;
    clock.advance(4000);
    const refused = await breaker
      .run(async () => {
        ran = true;
      })
      .catch((err) => err);
    expect(ran).toBe(false);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect(refused.retryAfterMs).toBe(6000);
  });

  it('when the cooldown passes, then one probe goes through (half-open) and its success closes the circuit', async () => {
    const { breaker, fail, clock, transitions } = setup();
    for (let i = 0; i < 3; i++) await expect(fail()).rejects.toThrow(Fault);
    clock.advance(10_000);
    expect(breaker.state()).toBe('half-open');
    let release!: () => void;
    const probe = breaker.run(() => new Promise<string>((resolve) => (release = () => resolve('probe ok'))));
    // While the probe is out, others are refused rather than piling onto a maybe-dead upstream.
    await expect(breaker.run(async () => 'second')).rejects.toBeInstanceOf(CircuitOpenError);
    release();
    expect(await probe).toBe('probe ok');
    expect(breaker.state()).toBe('closed');
    expect(transitions).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('when the probe fails, then the circuit opens again for a full cooldown', async () => {
    const { breaker, fail, clock, transitions } = setup();
    for (let i = 0; i < 3; i++) await expect(fail()).rejects.toThrow(Fault);
    clock.advance(10_000);
    await expect(fail()).rejects.toThrow(Fault);
    expect(breaker.state()).toBe('open');
    clock.advance(9_999);
    await expect(breaker.run(async () => 'x')).rejects.toBeInstanceOf(CircuitOpenError);
    clock.advance(1);
    expect(await breaker.run(async () => 'x')).toBe('x');
    expect(transitions).toEqual(['closed->open', 'open->half-open', 'half-open->open', 'open->half-open', 'half-open->closed']);
  });

  it('when calls fail with errors that are not faults (a 404), then they do not count', async () => {
    const { breaker } = setup();
    for (let i = 0; i < 10; i++) await expect(breaker.run(async () => Promise.reject(new Rejection()))).rejects.toThrow(Rejection);
    expect(breaker.state()).toBe('closed');
  });

  it('when told to open for a while (upstream asked to back off), then it refuses until then and probes after', async () => {
    const { breaker, clock, succeed } = setup();
    breaker.openFor(60_000);
    const refused = await succeed().catch((err) => err);
    expect(refused.retryAfterMs).toBe(60_000);
    clock.advance(60_000);
    expect(await succeed()).toBe('ok');
    expect(breaker.state()).toBe('closed');
  });
});
