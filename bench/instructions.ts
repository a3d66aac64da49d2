/**
 * `npx tsx bench/instructions.ts [--path /health/live] [--requests 3000] [--warmup 6000]
 * [--node /path/to/node] [--side off] [--side tracing] [--side name:KEY=VALUE,KEY=VALUE]` ($SINK in a value is the
 * OTLP sink's URL):
 * the server's instructions per request, counted by valgrind's callgrind, for configurations of
 * the same build one after another.
 *
 * Why: on this kind of VM a throughput ratio moves by ±40 % from minute to minute, so a change of
 * a few microseconds per request cannot be seen in `npm run bench`. Instructions do not depend on
 * what the machine's neighbours do. They count user space only: the kernel's share of a request
 * (writev, epoll) is not in them, so a ratio of instructions exaggerates what an addition costs
 * in CPU time. Use this to compare configurations or builds, not to report a goal.
 *
 * Each side starts dist/main.js under callgrind with instrumentation off, takes `--warmup`
 * requests (JIT, caches), then counts exactly `--requests` requests (4 keep-alive connections).
 * Built-in sides: `off`, `metrics` (METRICS_PORT set, not scraped) and `tracing` (always_on,
 * OTLP to a sink in this process). Embedded database unless DATABASE_URL is set (then with
 * JWT_SECRET from the environment or a bench one). Needs valgrind (Debian: valgrind); a side
 * takes 15-25 s of counting after a 10-30 s start.
 *
 * Seen on 2026-12-06 (AMD EPYC VM): with Node 24 the same side counted twice differed by < 1 %;
 * with Node 20 `off` stayed within 1 % and `tracing` moved by up to 8 % between starts (all threads).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startOtlpSink } from './lib/otlp-sink.js';
import { freePort, startServer } from './lib/processes.js';
import { BENCH_ENV, buildZaplecze } from './lib/zaplecze.js';

const { values } = parseArgs({
  options: {
    path: { type: 'string', default: '/health/live' },
    requests: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '6000' },
    node: { type: 'string', default: process.execPath },
    side: { type: 'string', multiple: true, default: ['off', 'tracing'] },
    'no-build': { type: 'boolean', default: false },
  },
});
const requests = Number(values.requests);

const sink = await startOtlpSink();
const sinkUrl = sink.url;

const PRESETS: Record<string, Record<string, string>> = {
  off: {},
  metrics: { METRICS_PORT: 'free', METRICS_HOST: '127.0.0.1' },
  tracing: { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_TRACES_SAMPLER: 'always_on' },
};

function sideOf(spec: string): { name: string; env: Record<string, string> } {
  const preset = PRESETS[spec];
  if (preset) return { name: spec, env: preset };
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const assignments = colon < 0 ? '' : spec.slice(colon + 1);
  const env: Record<string, string> = {};
  for (const pair of assignments.split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--side ${spec}: expected name:KEY=VALUE,KEY=VALUE or one of ${Object.keys(PRESETS).join(', ')}`);
    env[pair.slice(0, at)] = pair.slice(at + 1).replace('$SINK', sinkUrl);
  }
  return { name, env };
}

const database: Record<string, string> = process.env.DATABASE_URL
  ? {
      DATABASE_URL: process.env.DATABASE_URL,
      JWT_SECRET: process.env.JWT_SECRET ?? 'bench-instructions-secret-at-least-32-characters',
      PAYMENT_PROVIDER: 'sandbox',
    }
  : {};

/** Sends exactly `count` GETs over 4 keep-alive connections; rejects on anything but 2xx. */
function load(url: string, count: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  let sent = 0;
  let answered = 0;
  return new Promise((resolve, reject) => {
    const next = () => {
      if (sent >= count) return;
      sent++;
      request(`${url}${values.path}`, { agent }, (res) => {
        if ((res.statusCode ?? 0) >= 300) reject(new Error(`${values.path} answered ${res.statusCode}`));
        res.resume();
        res.on('end', () => {
          if (++answered === count) {
            agent.destroy();
            resolve();
          } else next();
        });
      })
        .on('error', reject)
        .end();
    };
    for (let i = 0; i < 4; i++) next();
  });
}

/**
 * Sends a callgrind_control command. Valgrind takes commands only while the program runs, so the
 * idle server is poked with requests until the command is answered (those run with
 * instrumentation in whatever state it is in: a few requests in 3,000).
 */
async function control(pid: number, url: string, vgdbPrefix: string, ...args: string[]): Promise<void> {
  let answered = false;
  const done = new Promise<void>((resolve, reject) =>
    // HOST names the vgdb pipe on both ends; the server was started with HOST=127.0.0.1.
    execFile(
      'callgrind_control',
      [`--vgdb-prefix=${vgdbPrefix}`, ...args, String(pid)],
      { env: { ...process.env, HOST: '127.0.0.1' } },
      (err) => {
        answered = true;
        if (err) reject(err);
        else resolve();
      },
    ),
  );
  while (!answered) {
    await fetch(`${url}/health/live`)
      .then((res) => res.arrayBuffer())
      .catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await done;
}

async function count(side: { name: string; env: Record<string, string> }): Promise<{ total: number; main: number }> {
  const env = { ...side.env };
  if (env.METRICS_PORT === 'free') env.METRICS_PORT = String(await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'zaplecze-callgrind-'));
  const vgdbPrefix = join(dir, 'vgdb');
  const server = await startServer({
    name: side.name,
    argv: [
      'valgrind',
      '--tool=callgrind',
      `--vgdb-prefix=${vgdbPrefix}`,
      '--vgdb=yes',
      '--instr-atstart=no',
      // One dump per thread: V8 compiles and collects garbage on helper threads too, and whether a
      // function is still being optimised during the window says little about what it costs.
      '--separate-threads=yes',
      `--callgrind-out-file=${join(dir, 'out.%p')}`,
      values.node as string,
      'dist/main.js',
    ],
    env: { ...BENCH_ENV, DATA_DIR: join(dir, 'data'), ...database, ...env },
    readyPath: '/health/ready',
    readyTimeoutS: 600,
  });
  try {
    await load(server.url, Number(values.warmup));
    await control(server.pid, server.url, vgdbPrefix, '--zero');
    await control(server.pid, server.url, vgdbPrefix, '--instr=on');
    await load(server.url, requests);
    // Dumped while counting: a dump asked for with instrumentation off was never written here.
    await control(server.pid, server.url, vgdbPrefix, '--dump');
    await control(server.pid, server.url, vgdbPrefix, '--instr=off');
    const dumps = () => readdirSync(dir).filter((f) => f.startsWith(`out.${server.pid}.`));
    for (let wait = 0; wait < 50 && !dumps().length; wait++) await new Promise((resolve) => setTimeout(resolve, 200));
    await new Promise((resolve) => setTimeout(resolve, 500));
    let total = 0;
    let main = 0;
    for (const dump of dumps()) {
      const instructions = Number(/^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, dump), 'utf8'))?.[1] ?? 0);
      total += instructions;
      if (dump.endsWith('-01')) main = instructions;
    }
    if (!total) throw new Error(`${side.name}: callgrind wrote no dump`);
    return { total: total / requests, main: main / requests };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  throw new Error('valgrind is not installed (Debian: apt-get install valgrind)');
}
await buildZaplecze({ skip: values['no-build'] as boolean });
const sides = (values.side as string[]).map(sideOf);
console.log(`instructions per request of GET ${values.path}: ${requests} counted after ${values.warmup}, node ${values.node}`);
const results: { name: string; total: number; main: number }[] = [];
try {
  for (const side of sides) {
    const last = { name: side.name, ...(await count(side)) };
    results.push(last);
    const first = results[0] ?? last;
    console.log(
      `${side.name.padEnd(24)} main thread ${(last.main / 1000).toFixed(1)} k instructions/request (${(first.main / last.main).toFixed(2)} of ${first.name}), all threads ${(last.total / 1000).toFixed(1)} k (${(first.total / last.total).toFixed(2)})`,
    );
  }
} finally {
  await sink.close();
}
