/**
 * Load for the checkout bench, Zaplecze side: one loop per customer, each repeating what a
 * shopper does, PUT /cart/items/:id then POST /orders with a fresh Idempotency-Key. Prints one
 * JSON line (measure-loops.mjs): completed checkouts (201), latency of POST /orders, and the
 * server's CPU time over the measured part.
 */
import { randomUUID } from 'node:crypto';
import { measureLoops } from '../lib/measure-loops.mjs';

const spec = JSON.parse(process.argv[2] ?? '{}');

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

await measureLoops({ warmupS: spec.warmupS, durationS: spec.durationS, cpuPid: spec.serverPid, run });
