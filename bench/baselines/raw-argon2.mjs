/**
 * Baseline for the login bench: a node:http server that reads a JSON body and verifies its
 * `password` against one argon2id hash with the platform's parameters (m=19456 KiB, t=2, p=1),
 * answering 200 or 401. At most ARGON2_CONCURRENCY verifies run at once, like the platform's
 * PASSWORD_HASH_CONCURRENCY. GET answers 200 for the readiness probe.
 * Needs BENCH_PASSWORD; listens on PORT and HOST.
 */
import { createServer } from 'node:http';
import { hash, verify } from '@node-rs/argon2';

const PARAMS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const password = process.env.BENCH_PASSWORD;
if (!password) throw new Error('BENCH_PASSWORD is required');
const stored = await hash(password, PARAMS);

const limit = Math.max(1, Number(process.env.ARGON2_CONCURRENCY ?? 1));
let running = 0;
const waiting = [];
async function limited(task) {
  if (running >= limit) await new Promise((resume) => waiting.push(resume));
  else running++;
  try {
    return await task();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

function reply(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

createServer(async (req, res) => {
  if (req.method !== 'POST') return reply(res, 200, { status: 'ok' });
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  let given;
  try {
    given = JSON.parse(Buffer.concat(chunks).toString('utf8')).password;
  } catch {
    return reply(res, 400, { error: 'bad json' });
  }
  const ok = typeof given === 'string' && (await limited(() => verify(stored, given).catch(() => false)));
  return ok ? reply(res, 200, { ok: true }) : reply(res, 401, { ok: false });
}).listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
