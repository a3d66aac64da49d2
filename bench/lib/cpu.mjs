/**
 * CPU time readings shared by the load workers and script baselines (plain .mjs: they run
 * without a TypeScript loader).
 */
import { readFileSync } from 'node:fs';

/** User+system CPU ms of this process. */
export function ownCpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** User+system CPU ms of another process (Linux /proc; USER_HZ is 100), NaN elsewhere or without a pid. */
export function processCpuMs(pid) {
  if (!(pid > 0)) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Summed user+system CPU ms of several processes (a split service and its gateway); NaN when one cannot be read. */
export function processesCpuMs(pids) {
  return pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
}
