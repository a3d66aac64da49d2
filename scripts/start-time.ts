/**
 * `npx tsx scripts/start-time.ts [--fresh [--ref COMMIT]] [--restarts N] [--keep]`: how long `npm start` takes
 * until `GET /health/ready` answers 200 on the embedded setup (no settings but PORT and HOST:
 * PGlite in ./data, local disk, in-memory bus), the figure issue #17 sets goals for.
 *
 * Each run starts `npm start`, polls /health/ready, then stops the server (SIGTERM) and waits
 * until it has exited, so the next run reopens the same data folder: that is a restart.
 * `--fresh` first clones HEAD (committed work only; `--ref` another commit, which must log
 * `startedInMs`) into a temporary folder with this checkout's node_modules linked in, so the
 * first run is a fresh clone's first start (nothing built, no data folder yet).
 *
 * Per run it prints: `build` (from `npm start` until the server process began: npm and the
 * build), `server` (that process's own start until it listened, which it logs as
 * `startedInMs`), `total` (until /health/ready answered 200), the server's CPU seconds when it
 * logged that it was ready, all threads and the main thread alone (from /proc: steadier than
 * wall time on a shared machine), and the load average.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, ROOT } from './split/processes.js';

const { values } = parseArgs({
  options: {
    fresh: { type: 'boolean', default: false },
    ref: { type: 'string', default: 'HEAD' },
    restarts: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
  },
});
const restarts = Number(values.restarts);
if (!Number.isInteger(restarts) || restarts < 0) throw new Error('--restarts takes a whole number');

interface Timing {
  readonly buildS: number;
  readonly serverS: number;
  readonly totalS: number;
  readonly serverCpuS: number | undefined;
  readonly mainThreadCpuS: number | undefined;
  readonly load: number;
}

/** Clones `ref` into a temporary folder with this checkout's dependencies linked in. */
function freshClone(ref: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'zaplecze-start-'));
  execFileSync('git', ['clone', '-q', ROOT, dir]);
  execFileSync('git', ['-C', dir, 'checkout', '-q', execFileSync('git', ['-C', ROOT, 'rev-parse', ref]).toString().trim()]);
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'));
  return dir;
}

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** User plus system CPU seconds from a /proc stat file; undefined where /proc is missing. */
function cpuSecondsIn(stat: string): number | undefined {
  if (!existsSync(stat)) return undefined;
  // Fields after the command (which may hold spaces): utime and stime are the 12th and 13th, in clock ticks.
  const text = readFileSync(stat, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * The CPU a process has used so far: all its threads (Node's helpers: GC, WebAssembly compilers,
 * file I/O), and its main thread alone, which bounds the wall time on an idle machine.
 */
function cpuOf(pid: number): { all: number | undefined; main: number | undefined } {
  return { all: cpuSecondsIn(`/proc/${pid}/stat`), main: cpuSecondsIn(`/proc/${pid}/task/${pid}/stat`) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  // npm, its shell and the server share the group the child leads; the pipes close once the server has exited.
  const closed = once(child, 'close');
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  await closed;
}

async function timeStart(dir: string): Promise<Timing> {
  const port = await freePort();
  const load = loadavg()[0] ?? 0;
  const started = performance.now();
  const child = spawn('npm', ['start'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  let ready: { startedInMs: number; cpu: ReturnType<typeof cpuOf> } | undefined;
  for (const stream of [child.stdout, child.stderr]) {
    // A chunk may end inside a line: only whole lines are parsed.
    let pending = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      output += chunk;
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"startedInMs"')) continue;
        const entry = JSON.parse(line) as { pid: number; startedInMs: number };
        // Read now: once listening, the server compiles the schemas no request has needed yet.
        ready = { startedInMs: entry.startedInMs, cpu: cpuOf(entry.pid) };
      }
    });
  }
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    const deadline = started + 180_000;
    for (;;) {
      if (exited) throw new Error(`npm start exited before it was ready:\n${output}`);
      if (performance.now() > deadline) throw new Error(`not ready within 180 s:\n${output}`);
      const status = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (res) => res.body?.cancel().then(() => res.status),
        () => 0,
      );
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const totalS = (performance.now() - started) / 1000;
    const seen = ready as { startedInMs: number; cpu: ReturnType<typeof cpuOf> } | undefined;
    if (!seen) throw new Error(`ready, but no "Zaplecze is ready" line with startedInMs was logged:\n${output}`);
    const serverS = seen.startedInMs / 1000;
    return { buildS: totalS - serverS, serverS, totalS, serverCpuS: seen.cpu.all, mainThreadCpuS: seen.cpu.main, load };
  } finally {
    await stop(child);
  }
}

const dir = values.fresh ? freshClone(values.ref) : ROOT;
const rows: [string, Timing][] = [];
try {
  process.stderr.write(`measuring npm start in ${dir}${values.fresh ? ` (fresh clone of ${values.ref})` : ''}\n`);
  const runs = values.fresh ? ['first start', ...Array.from({ length: restarts }, (_, i) => `restart ${i + 1}`)] : [];
  if (!values.fresh) for (let i = 0; i <= restarts; i++) runs.push(`start ${i + 1}`);
  for (const name of runs) {
    const timing = await timeStart(dir);
    rows.push([name, timing]);
    process.stderr.write(`${name}: ${timing.totalS.toFixed(1)} s\n`);
  }
} finally {
  if (values.fresh && !values.keep) rmSync(dir, { recursive: true, force: true });
}

const s = (n: number | undefined) => (n === undefined ? '-' : `${n.toFixed(1)} s`);
console.log('| run | build | server | total | server CPU (main thread) | load |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [name, t] of rows) {
  console.log(
    `| ${name} | ${s(t.buildS)} | ${s(t.serverS)} | ${s(t.totalS)} | ${s(t.serverCpuS)} (${s(t.mainThreadCpuS)}) | ${t.load.toFixed(1)} |`,
  );
}
if (values.fresh && values.keep) console.log(`kept the clone in ${dir}`);
