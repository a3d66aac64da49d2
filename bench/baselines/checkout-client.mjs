/**
 * Load for the checkout bench, Zaplecze side: one loop per customer, each repeating what a
 * shopper does, PUT /cart/items/:id then POST /orders with a fresh Idempotency-Key. Prints one
 * JSON line: completed checkouts (201), latency of POST /orders, and the server's CPU time over
 * the measured part (read from /proc, like load-worker.mjs).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createHistogram } from 'node:perf_hooks';

const spec = JSON.parse(process.argv[2] ?? '{}');

function serverCpuMs() {
  try {
    const stat = readFileSync(`/proc/${spec.serverPid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function call(method, path, token, body, headers = {}) {
  const res = await fetch(`${spec.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

async function run(durationS, histogram, counts) {
  const until = performance.now() + durationS * 1000;
  await Promise.all(
    spec.tokens.map(async (token, i) => {
      let n = i;
      while (performance.now() < until) {
        const product = spec.productIds[n++ % spec.productIds.length];
        const put = await call('PUT', `/api/v1/cart/items/${product}`, token, { quantity: 1 });
        if (put !== 200) {
          counts.errors++;
          continue;
        }
        const started = performance.now();
        const status = await call('POST', '/api/v1/orders', token, {}, { 'idempotency-key': randomUUID() });
        if (status === 201) {
          counts.ok++;
          histogram?.record(Math.max(1, Math.round((performance.now() - started) * 1000)));
        } else counts.errors++;
      }
    }),
  );
}

await run(spec.warmupS, undefined, { ok: 0, errors: 0 });
const histogram = createHistogram();
const counts = { ok: 0, errors: 0 };
const wall0 = performance.now();
const cpu0 = cpuMs();
const server0 = serverCpuMs();
await run(spec.durationS, histogram, counts);
const wallMs = performance.now() - wall0;
const serverUsed = serverCpuMs() - server0;
const us = (p) => (histogram.count ? histogram.percentile(p) / 1000 : null);
process.stdout.write(
  `${JSON.stringify({
    checkouts: counts.ok,
    errors: counts.errors,
    perSec: counts.ok / (wallMs / 1000),
    latencyMs: { p50: us(50), p99: us(99) },
    serverCpuMs: serverUsed,
    serverCpuShare: serverUsed / wallMs,
    loadCpuShare: (cpuMs() - cpu0) / wallMs,
  })}\n`,
);
