/**
 * Load generator child process: runs autocannon's programmatic API once to warm up and once to
 * measure, then prints one JSON line on stdout. It runs in its own process so it can be pinned
 * to a core away from the server (see load.ts). Plain .mjs so no TypeScript loader runs here.
 *
 * Latency percentiles come from our own microsecond histogram: autocannon's histogram records
 * whole milliseconds, too coarse for sub-millisecond routes. The server's CPU time is read from
 * /proc here, right around the measured part, so warm-up and process start do not blur it.
 */
import { createHistogram } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { ownCpuMs, processCpuMs, processesCpuMs } from './cpu.mjs';

const spec = JSON.parse(process.argv[2] ?? '{}');

const cpuMs = ownCpuMs;
// Several pids when the server is several processes (the split behind its gateway): their CPU is summed.
const serverCpuMs = () => processesCpuMs(spec.serverPids ?? [spec.serverPid]);

function fire(durationS, histogram) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        method: spec.method ?? 'GET',
        headers: spec.headers ?? {},
        body: spec.body,
        connections: spec.connections,
        pipelining: 1,
        duration: durationS,
        timeout: spec.timeoutS ?? 10,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    if (histogram) {
      instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
        if (statusCode >= 200 && statusCode < 300) histogram.record(Math.max(1, Math.round(responseTimeMs * 1000)));
      });
    }
  });
}

if (spec.warmupS > 0) await fire(spec.warmupS);
const histogram = createHistogram();
const wall0 = performance.now();
const cpu0 = cpuMs();
const server0 = serverCpuMs();
const byPid0 = (spec.serverPids ?? []).map(processCpuMs);
const result = await fire(spec.durationS, histogram);
const wallMs = performance.now() - wall0;
const cpuUsedMs = cpuMs() - cpu0;
const serverUsedMs = serverCpuMs() - server0;
const serverCpuMsByPid = Object.fromEntries((spec.serverPids ?? []).map((pid, i) => [pid, processCpuMs(pid) - byPid0[i]]));

const us = (p) => (histogram.count ? histogram.percentile(p) / 1000 : null);
process.stdout.write(
  `${JSON.stringify({
    requests: result.requests.total,
    durationS: result.duration,
    reqPerSec: result.requests.total / result.duration,
    latencyMs: { p50: us(50), p99: us(99), max: us(100) },
    status: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    loadCpuShare: cpuUsedMs / wallMs,
    serverCpuMs: serverUsedMs,
    serverCpuShare: serverUsedMs / wallMs,
    serverCpuMsByPid,
  })}\n`,
);
