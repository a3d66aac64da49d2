/**
 * Waiting for a server to finish what it was doing before a reading: its CPU (work left over
 * from start-up or from opening sockets) and its RSS (V8 gives memory back some seconds after
 * the work that made the garbage, not at once).
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { processCpuMs } from './cpu.mjs';

/**
 * Resolves once the process has used under 5 % of a core for two consecutive 200 ms samples, or
 * after `timeoutMs`.
 */
export async function untilQuiet(pid: number, timeoutMs = 30_000): Promise<void> {
  const sampleMs = 200;
  let quiet = 0;
  let last = processCpuMs(pid);
  for (const started = Date.now(); quiet < 2 && Date.now() - started < timeoutMs; ) {
    await sleep(sampleMs);
    const now = processCpuMs(pid);
    quiet = now - last < sampleMs * 0.05 ? quiet + 1 : 0;
    last = now;
  }
}

/** The process's resident set, KiB (NaN once it is gone). */
export function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/**
 * The RSS once it has stopped falling: the lowest reading, after no new low (by more than
 * 1 %) for `steadyMs`, or after `timeoutMs`. A reading taken while the heap still shrinks would
 * charge the memory given back to whatever happens next (e.g. negative growth per socket).
 */
export async function steadyRssKb(pid: number, steadyMs: number, timeoutMs = 2 * steadyMs + 5000): Promise<number> {
  const sampleMs = Math.max(50, Math.round(steadyMs / 10));
  let low = rssKb(pid);
  let lowAt = Date.now();
  for (const started = Date.now(); Date.now() - lowAt < steadyMs && Date.now() - started < timeoutMs; ) {
    await sleep(sampleMs);
    const now = rssKb(pid);
    if (now < low * 0.99) lowAt = Date.now();
    low = Math.min(low, now);
  }
  return low;
}
