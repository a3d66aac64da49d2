/**
 * Measures a script-driven load: runs `run(durationS, histogram, counts)` once to warm up and
 * once to measure, then prints the one JSON line the pair harness reads (see checkout.ts).
 * `cpuPid`: whose CPU counts as the server's (another process, or this one when it is the
 * baseline doing the work itself).
 */
import { createHistogram } from 'node:perf_hooks';
import { ownCpuMs, processCpuMs } from './cpu.mjs';

export async function measureLoops({ warmupS, durationS, cpuPid, run }) {
  await run(warmupS, undefined, { ok: 0, errors: 0 });
  const serverCpu = () => (cpuPid === process.pid ? ownCpuMs() : processCpuMs(cpuPid));
  const histogram = createHistogram();
  const counts = { ok: 0, errors: 0 };
  const wall0 = performance.now();
  const own0 = ownCpuMs();
  const server0 = serverCpu();
  await run(durationS, histogram, counts);
  const wallMs = performance.now() - wall0;
  const serverUsed = serverCpu() - server0;
  const us = (p) => (histogram.count ? histogram.percentile(p) / 1000 : null);
  process.stdout.write(
    `${JSON.stringify({
      checkouts: counts.ok,
      errors: counts.errors,
      perSec: counts.ok / (wallMs / 1000),
      latencyMs: { p50: us(50), p99: us(99) },
      serverCpuMs: serverUsed,
      serverCpuShare: serverUsed / wallMs,
      // The baseline is its own load: it has no separate generator.
      loadCpuShare: cpuPid === process.pid ? 0 : (ownCpuMs() - own0) / wallMs,
    })}\n`,
  );
}
