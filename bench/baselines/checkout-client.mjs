/**
 * Load for the checkout bench, Zaplecze side: one loop per customer, each repeating what a
 * shopper does, PUT /cart/items/:id then POST /orders with a fresh Idempotency-Key. Prints one
 * JSON line (measure-loops.mjs): completed checkouts (201), latency of POST /orders, and the
 * server's CPU time over the measured part.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { measureLoops } from '../lib/measure-loops.mjs';

const spec = JSON.parse(process.argv[2] ?? '{}');
// node:http on kept-alive sockets, one per customer: with fetch (undici) the load core spent 2.1-3.6 ms
// per put-and-checkout, with node:http 1.5 ms, and that core is shared with PostgreSQL.
const agent = new Agent({ keepAlive: true, maxSockets: spec.tokens.length });

function call(method, path, token, body, headers = {}) {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${spec.url}${path}`,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
      },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.statusCode));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function run(durationS, histogram, counts) {
  const until = performance.now() + durationS * 1000;
  await Promise.all(
    spec.tokens.map(async (token, i) => {
      let n = i;
      while (performance.now() < until) {
        const product = spec.productIds[n++ % spec.productIds.length];
        try {
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
        } catch {
          // A refused or reset connection counts as an error of the round instead of ending the bench.
          counts.errors++;
        }
      }
    }),
  );
}

await measureLoops({ warmupS: spec.warmupS, durationS: spec.durationS, cpuPid: spec.serverPid, run });
