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

/** The cores of a taskset-style list ("1", "1-3,5"). */
export function cpuList(list) {
  return String(list)
    .split(',')
    .flatMap((part) => {
      const [from, to = from] = part.split('-').map((n) => Number(n.trim()));
      if (!Number.isInteger(from) || !Number.isInteger(to) || to < from) throw new Error(`not a cpu list: '${list}'`);
      return Array.from({ length: to - from + 1 }, (_, i) => from + i);
    });
}

/**
 * Busy and total time (ms, from /proc/stat) of `cores` summed, whoever ran there: the busy share
 * of two readings says how loaded those cores were, the load generator and anything else alike.
 * NaN elsewhere than Linux.
 */
export function coresTimeMs(cores) {
  try {
    const lines = readFileSync('/proc/stat', 'utf8').split('\n');
    let busy = 0;
    let total = 0;
    for (const core of cores) {
      const line = lines.find((l) => l.startsWith(`cpu${core} `));
      if (!line) return { busyMs: Number.NaN, totalMs: Number.NaN };
      // user nice system idle iowait irq softirq steal (guest time is already in user)
      const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
      busy += user + nice + system + irq + softirq + steal;
      total += user + nice + system + idle + iowait + irq + softirq + steal;
    }
    return { busyMs: busy * 10, totalMs: total * 10 };
  } catch {
    return { busyMs: Number.NaN, totalMs: Number.NaN };
  }
}
