/** The bench smoke check (bench/lib/report.ts): what `npm run bench -- --smoke` accepts. */
import { describe, expect, it, vi } from 'vitest';
import { checkSmoke, RESULTS_DIR, type Report, type RoundRow, reportPath } from '../bench/lib/report.js';

const row = (side: string, status: Record<string, number>, errors = 0): RoundRow => {
  const non2xx = Object.entries(status)
    .filter(([code]) => !code.startsWith('2'))
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    round: 1,
    windowUs: [0, 1],
    role: side === 'zaplecze' ? 'candidate' : 'baseline',
    side,
    reqPerSec: 1,
    reqPerCpuS: 1,
    p50Ms: 1,
    p99Ms: 1,
    serverCpuShare: 1,
    loadCpuShare: 0.5,
    non2xx,
    errors,
    status,
  };
};

const report = (rounds: RoundRow[]) => ({ name: 'health', smoke: true, rounds }) as unknown as Report;

describe('bench smoke check', () => {
  it('when both sides answered only 2xx, then it passes and prints no ratio', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      checkSmoke(report([row('zaplecze', { 200: 40 }), row('raw', { 200: 90 })]));
      const printed = log.mock.calls.flat().join('\n');
      expect(printed).toContain('smoke health: ok');
      expect(printed).not.toMatch(/ratio|req\/s/);
    } finally {
      log.mockRestore();
    }
  });

  it('when a side answered a non-2xx status, then it fails naming the side and the status', () => {
    expect(() => checkSmoke(report([row('zaplecze', { 200: 3, 500: 1 }), row('raw', { 200: 9 })]))).toThrow(/zaplecze: 1 non-2xx .*500/);
  });

  it('when a side had connection errors or timeouts, then it fails', () => {
    expect(() => checkSmoke(report([row('zaplecze', { 200: 3 }), row('raw', { 200: 9 }, 2)]))).toThrow(/raw: 0 non-2xx .* 2 errors/);
  });

  it('when a side answered nothing at all, then it fails', () => {
    expect(() => checkSmoke(report([row('zaplecze', {}), row('raw', { 200: 9 })]))).toThrow(/zaplecze: no 2xx answer/);
  });

  it('when a run is a smoke run, then its results go to bench/results/smoke/, leaving the measured ones alone', () => {
    expect(reportPath({ name: 'login', smoke: true })).toBe(`${RESULTS_DIR}smoke/login.json`);
    expect(reportPath({ name: 'login' })).toBe(`${RESULTS_DIR}login.json`);
  });
});
