/**
 * `npx tsx bench/ab.ts --ref <commit> [--path /health/live] [--rounds 4] [--duration 5]`: did a
 * change make a request path cost more? Builds `<commit>` in a temporary worktree, starts it
 * and this checkout's build side by side (both pinned to the server core, both on the embedded
 * database, or on `DATABASE_URL` when set), and loads each in turn from the load core, the
 * order alternating every round (whichever goes second in a pair tended to measure slower here).
 * Prints the server CPU per request of each round, the medians, and the ratio within each round
 * (its two loads ran back to back, so a slow minute of the machine hits both).
 *
 * Ratios against a raw baseline move with the machine (the same build gave 0.77 and 0.44 on two
 * VMs of one kind); two builds measured side by side on one machine do not, which is what
 * a question like "is this commit slower" needs. Needs a commit whose `scripts/build.mjs` exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad } from './lib/load.js';
import type { ServerProcess } from './lib/processes.js';
import { buildZaplecze, ROOT, startZaplecze } from './lib/zaplecze.js';

const { values } = parseArgs({
  options: {
    ref: { type: 'string' },
    path: { type: 'string', default: '/health/live' },
    rounds: { type: 'string', default: '4' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
  },
});
if (!values.ref) throw new Error('--ref <commit> is required: the build to compare this checkout with');
const rounds = Number(values.rounds);
const durationS = Number(values.duration);

const database: Record<string, string> = process.env.DATABASE_URL
  ? { DATABASE_URL: process.env.DATABASE_URL, PAYMENT_PROVIDER: 'sandbox', JWT_SECRET: 'bench-ab-secret-at-least-32-characters-long' }
  : {};

/** A worktree of `ref` with this checkout's node_modules, built; removed by the returned function. */
function checkout(ref: string): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'zaplecze-ab-'));
  execFileSync('git', ['worktree', 'add', '--detach', root, ref], { cwd: ROOT, stdio: 'ignore' });
  const remove = () => {
    execFileSync('git', ['worktree', 'remove', '--force', root], { cwd: ROOT, stdio: 'ignore' });
    rmSync(root, { recursive: true, force: true });
  };
  try {
    if (!existsSync(join(root, 'scripts/build.mjs'))) throw new Error(`${ref} has no scripts/build.mjs to build it with`);
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'ignore' });
    return { root, remove };
  } catch (err) {
    remove();
    throw err;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const other = checkout(values.ref);
const servers: { label: string; server: ServerProcess; usPerRequest: number[] }[] = [];
try {
  await buildZaplecze({ skip: false });
  servers.push({ label: `${values.ref} (ref)`, server: await startZaplecze(database, { root: other.root }), usPerRequest: [] });
  servers.push({ label: 'this checkout', server: await startZaplecze(database), usPerRequest: [] });
  console.log(
    `A/B ${values.path}: ${rounds} rounds of ${durationS} s, ${values.connections} connections, ${database.DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite'}`,
  );
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? servers : [...servers].reverse()) {
      const result = await runLoad(side.server, {
        path: values.path,
        connections: Number(values.connections),
        warmupS: round === 0 ? 3 : 1,
        durationS,
      });
      if (result.non2xx || result.errors) throw new Error(`${side.label}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
      const us = (result.serverCpuMs * 1000) / result.requests;
      side.usPerRequest.push(us);
      console.log(`round ${round + 1}  ${side.label.padEnd(24)} ${Math.round(result.reqPerSec)} req/s  ${us.toFixed(1)} µs CPU/request`);
    }
  }
  const [ref, current] = servers as [(typeof servers)[0], (typeof servers)[0]];
  // Each round's two loads ran back to back: their ratio cancels the machine's slower minutes.
  const pairs = current.usPerRequest.map((us, k) => us / (ref.usPerRequest[k] ?? Number.NaN));
  console.log(
    `median µs CPU/request: ${values.ref} ${median(ref.usPerRequest).toFixed(1)}, this checkout ${median(current.usPerRequest).toFixed(1)}`,
  );
  console.log(
    `this checkout / ${values.ref} per round: ${pairs.map((r) => r.toFixed(2)).join(' ')}; median ${median(pairs).toFixed(2)} (above 1: costs more)`,
  );
} finally {
  for (const side of servers) await side.server.stop();
  other.remove();
}
