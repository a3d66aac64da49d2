/**
 * Runs the benchmarks: all of them, or the ones named.
 *
 *   npm run bench                       # every bench
 *   npm run bench -- health             # one
 *   npm run bench -- login --rounds 3 --duration 5 --no-build
 *   npm run bench -- health --profile  # also print where Zaplecze's CPU time went
 *   npm run bench -- --list
 *   npm run bench -- --smoke            # every bench, one short round on small data, no ratio (CI)
 *   npm run bench -- chat --rounds 3 --connections 1000
 *   npm run bench -- files --rounds 3 --size-mb 1024
 *
 * Exit code 0 even when a goal is missed (this machine is shared and noisy) unless --check.
 */
import { parseArgs } from 'node:util';
import { catalogBenches } from './catalog.js';
import { chatBench } from './chat.js';
import { checkoutBench } from './checkout.js';
import { filesBench } from './files.js';
import { health } from './health.js';
import type { Bench, BenchOptions } from './lib/bench.js';
import type { Report } from './lib/report.js';
import { login } from './login.js';
import { observabilityBench } from './observability.js';
import { splitBench } from './split.js';

const BENCHES: Bench[] = [health, login, ...catalogBenches, checkoutBench, filesBench, chatBench, observabilityBench, splitBench];

/** The options every bench understands. */
const COMMON_OPTIONS = {
  rounds: { type: 'string', default: '5' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  connections: { type: 'string' },
  'no-build': { type: 'boolean', default: false },
  check: { type: 'boolean', default: false },
  profile: { type: 'boolean', default: false },
  list: { type: 'boolean', default: false },
  smoke: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Options a bench declares for itself (`Bench.flags`); a name may mean one thing only. */
const BENCH_FLAGS = new Map<string, { bench: string; description: string }>();
for (const bench of BENCHES) {
  for (const [name, flag] of Object.entries(bench.flags ?? {})) {
    const owner = BENCH_FLAGS.get(name)?.bench;
    if (name in COMMON_OPTIONS || (owner && owner !== bench.name)) throw new Error(`bench ${bench.name}: option --${name} is taken`);
    BENCH_FLAGS.set(name, { bench: bench.name, description: flag.description });
  }
}

const USAGE = [
  'usage: npm run bench -- [name ...] [--rounds N] [--duration S] [--warmup S] [--connections N] [--no-build] [--profile] [--check] [--smoke] [--list]',
  ...[...BENCH_FLAGS].map(([name, f]) => `  --${name} (${f.bench}): ${f.description}`),
].join('\n');

/** A smoke run: one round of one second per side, no warm-up, few connections. */
const SMOKE = { rounds: 1, durationS: 1, warmupS: 0, connections: 4 };

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      ...COMMON_OPTIONS,
      ...Object.fromEntries([...BENCH_FLAGS.keys()].map((name) => [name, { type: 'string' } as const])),
    },
  });
  const flag = (name: string) => {
    const value = (values as Record<string, string | boolean | undefined>)[name];
    return typeof value === 'string' ? value : undefined;
  };
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.list) {
    for (const b of BENCHES) console.log(`${b.name.padEnd(10)} ${b.description}`);
    return;
  }
  const positive = (name: string, raw: string | undefined) => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got '${raw}'`);
    return n;
  };
  const measured: BenchOptions = {
    rounds: positive('rounds', values.rounds) ?? 5,
    durationS: positive('duration', values.duration),
    warmupS: values.warmup === '0' ? 0 : positive('warmup', values.warmup),
    connections: positive('connections', values.connections),
    skipBuild: values['no-build'],
    profile: values.profile,
    smoke: false,
    flags: Object.fromEntries([...BENCH_FLAGS.keys()].map((name) => [name, flag(name)])),
  };
  const options: BenchOptions = values.smoke ? { ...measured, ...SMOKE, profile: false, smoke: true } : measured;
  const unknown = positionals.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}`);
  const chosen = positionals.length
    ? BENCHES.filter((b) => positionals.includes(b.name))
    : BENCHES.filter((b) => !options.smoke || b.smoke !== false);

  const reports: Report[] = [];
  for (const bench of chosen) {
    process.stderr.write(`\n>> ${bench.name}: ${bench.description}\n`);
    reports.push(await bench.run(options));
    // Later benches reuse this run's build.
    options.skipBuild = true;
  }
  if (options.smoke) {
    console.log(`smoke: ${reports.length} benches ran; both sides answered alike and only with 2xx`);
  } else if (reports.length > 1) {
    console.log('summary');
    for (const r of reports) {
      if (r.table) {
        // A bench with several measures: one line per measure.
        for (const row of r.table) {
          console.log(
            `  ${r.name.padEnd(8)} ${row.measure}: ${row.zaplecze} vs ${row.baselineResult}, ratio ${row.ratio?.toFixed(2) ?? '-'} (goal ${row.goal ?? '-'})`,
          );
        }
        console.log(`  ${r.name.padEnd(8)} ${r.pass ? 'PASS' : 'MISS'} (every goal)`);
        continue;
      }
      console.log(
        `  ${r.name.padEnd(8)} ratio ${r.ratio.toFixed(2)} (goal >= ${r.goal}) ${r.pass ? 'PASS' : 'MISS'}` +
          `  ${Math.round(r.candidate.reqPerSec)} vs ${Math.round(r.baseline.reqPerSec)} req/s` +
          `  p99 ${r.candidate.p99Ms.toFixed(2)} vs ${r.baseline.p99Ms.toFixed(2)} ms`,
      );
    }
  }
  if (values.check && !options.smoke && reports.some((r) => !r.pass)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
