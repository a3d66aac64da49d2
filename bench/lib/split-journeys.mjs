/**
 * Load for the split bench (bench/split.ts), pinned to the load core. Plain .mjs: no TypeScript
 * loader runs here. Prints one JSON line. Two modes:
 *
 * - `journeys`: `users.length` loops run a shopper's journey back to back for warm-up, then for
 *   the measured seconds: log in, put the product in the cart, POST /orders with an
 *   Idempotency-Key, start the payment, settle it in the sandbox, poll GET /orders/:id until
 *   `paid`. Reports journeys/s, journey latency (p50/p95/p99), the server processes' CPU over the
 *   measured part (summed over `cpuPids`, and per pid), and every unexpected status.
 * - `logouts`: `count` times: log in, see the token work on every `checkUrls` server, log out
 *   through `url` and time from its 204 until every `checkUrls` server answers 401 for that token
 *   (polled every `pollMs`). Reports each delay; a token still accepted after `timeoutMs` counts
 *   as `neverBit`; after 3 of those and no bite at all, the rest are `skipped`.
 */
import { randomUUID } from 'node:crypto';
import { createHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ownCpuMs, processCpuMs, processesCpuMs } from './cpu.mjs';

const spec = JSON.parse(process.argv[2] ?? '{}');
/** How often a journey asks whether its order is paid. */
const PAID_POLL_MS = 5;
const PAID_TIMEOUT_MS = 10_000;
/** Logouts that never bit, none having bitten, after which the rest are skipped. */
const GIVE_UP_AFTER = 3;

class Unexpected extends Error {}

async function call(base, method, path, { token, body, headers } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Calls and insists on `expected`; anything else ends the journey as an error, named by step and status. */
async function step(label, expected, ...args) {
  const answer = await call(...args);
  if (answer.status !== expected) throw new Unexpected(`${label} ${answer.status}`);
  return answer.body;
}

async function journey(user) {
  const base = spec.url;
  const login = await step('login', 200, base, 'POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } });
  const token = login.accessToken;
  await step('cart', 200, base, 'PUT', `/api/v1/cart/items/${spec.productId}`, { token, body: { quantity: 1 } });
  const order = await step('order', 201, base, 'POST', '/api/v1/orders', { token, body: {}, headers: { 'idempotency-key': randomUUID() } });
  const payment = await step('payment', 200, base, 'POST', `/api/v1/orders/${order.id}/payment`, { token, body: {} });
  await step('succeed', 202, base, 'POST', `/api/v1/payments/sandbox/${payment.reference}/succeed`, { token, body: {} });
  const deadline = performance.now() + PAID_TIMEOUT_MS;
  let polls = 0;
  for (;;) {
    const seen = await step('poll', 200, base, 'GET', `/api/v1/orders/${order.id}`, { token });
    polls++;
    if (seen.status === 'paid') return polls;
    if (performance.now() > deadline) throw new Unexpected(`not paid within ${PAID_TIMEOUT_MS} ms (${seen.status})`);
    await sleep(PAID_POLL_MS);
  }
}

async function loops(durationS, histogram, counts) {
  const until = performance.now() + durationS * 1000;
  await Promise.all(
    spec.users.map(async (user) => {
      while (performance.now() < until) {
        const started = performance.now();
        try {
          // Awaited first: `counts.polls += await ...` would read the sum before the journey and lose other loops' polls.
          const polls = await journey(user);
          counts.polls += polls;
          counts.ok++;
          histogram?.record(Math.max(1, Math.round((performance.now() - started) * 1000)));
        } catch (err) {
          const key = err instanceof Unexpected ? err.message : `error ${err?.cause?.code ?? err?.name ?? 'unknown'}`;
          counts.failures[key] = (counts.failures[key] ?? 0) + 1;
          counts.errors++;
        }
      }
    }),
  );
}

async function journeys() {
  if (spec.warmupS > 0) await loops(spec.warmupS, undefined, { ok: 0, errors: 0, polls: 0, failures: {} });
  const histogram = createHistogram();
  const counts = { ok: 0, errors: 0, polls: 0, failures: {} };
  const wall0 = performance.now();
  const own0 = ownCpuMs();
  const server0 = processesCpuMs(spec.cpuPids);
  const byPid0 = spec.cpuPids.map(processCpuMs);
  await loops(spec.durationS, histogram, counts);
  const wallMs = performance.now() - wall0;
  const serverCpuMs = processesCpuMs(spec.cpuPids) - server0;
  const serverCpuMsByPid = Object.fromEntries(spec.cpuPids.map((pid, i) => [pid, processCpuMs(pid) - byPid0[i]]));
  const ms = (p) => (histogram.count ? histogram.percentile(p) / 1000 : null);
  return {
    journeys: counts.ok,
    errors: counts.errors,
    failures: counts.failures,
    // Each poll is a request: a side whose orders turn paid later also spends more CPU per journey.
    pollsPerJourney: counts.ok ? counts.polls / counts.ok : null,
    perSec: counts.ok / (wallMs / 1000),
    latencyMs: { p50: ms(50), p95: ms(95), p99: ms(99) },
    serverCpuMs,
    serverCpuShare: serverCpuMs / wallMs,
    serverCpuMsByPid,
    loadCpuShare: (ownCpuMs() - own0) / wallMs,
  };
}

async function logouts() {
  const delays = [];
  let neverBit = 0;
  let skipped = 0;
  for (let i = 0; i < spec.count; i++) {
    const user = spec.users[i % spec.users.length];
    const login = await step('login', 200, spec.url, 'POST', '/api/v1/auth/login', {
      body: { email: user.email, password: user.password },
    });
    const token = login.accessToken;
    // The token works everywhere first, so a 401 afterwards is the logout biting (and any cache is warm).
    for (const check of spec.checkUrls) await step('cart before logout', 200, check, 'GET', '/api/v1/cart', { token });
    await step('logout', 204, spec.url, 'POST', '/api/v1/auth/logout', { token, body: {} });
    const loggedOut = performance.now();
    const pending = new Set(spec.checkUrls);
    while (pending.size && performance.now() - loggedOut < spec.timeoutMs) {
      for (const check of [...pending]) {
        if ((await call(check, 'GET', '/api/v1/cart', { token })).status === 401) pending.delete(check);
      }
      if (pending.size) await sleep(spec.pollMs);
    }
    if (pending.size) neverBit++;
    else delays.push(performance.now() - loggedOut);
    // A server without the session mirror never bites: say so after a few instead of waiting out every timeout.
    if (neverBit >= GIVE_UP_AFTER && !delays.length) {
      skipped = spec.count - i - 1;
      break;
    }
  }
  const sorted = [...delays].sort((a, b) => a - b);
  const pct = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);
  return { count: spec.count, neverBit, skipped, delaysMs: delays, p50Ms: pct(50), p99Ms: pct(99), maxMs: sorted.at(-1) ?? null };
}

const result = spec.mode === 'logouts' ? await logouts() : await journeys();
process.stdout.write(`${JSON.stringify(result)}\n`);
