/**
 * The pair benchmark: a candidate (Zaplecze) against a raw baseline doing the same essential
 * work, measured in the same run, interleaved A B A B ... so slow drifts of the machine hit both
 * sides alike. Reports the median of the rounds per side and the ratio candidate / baseline.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { type LoadResult, type LoadSpec, runLoad } from './load.js';
import { CORES, PINNING, type ServerProcess } from './processes.js';
import { checkSmoke, printReport, type Report, type RoundRow, writeReport } from './report.js';

/** One side of a pair: a running server and the request thrown at it. */
export interface Side {
  server: ServerProcess;
  load: LoadSpec;
  /**
   * A measurement of its own instead of autocannon repeating `load` (e.g. a multi-request
   * flow, or a baseline that is a script rather than a server). `load` still describes it.
   */
  run?: () => Promise<LoadResult>;
}

export interface PairSpec {
  /** File name of the results (bench/results/<name>.json) and the name on the command line. */
  name: string;
  /** One line saying what is compared. */
  title: string;
  /** What one counted response is, for the README table (default req/s). */
  unit?: string;
  candidate: Side;
  baseline: Side;
  /** The candidate must reach at least this share of the baseline's req/s. */
  goal: number;
  rounds: number;
  /** Settings worth printing next to the numbers (concurrency limits, env, database engine). */
  notes?: string[];
  /** A smoke run: check that both sides answered, print no ratio (see BenchOptions.smoke). */
  smoke?: boolean;
}

/** Below this share of a core the server was probably not the bottleneck (or lost its core). */
export const SERVER_SATURATED = 0.85;
/** Above this share of a core the load generator may be capping the req/s. */
export const LOAD_GENERATOR_BUSY = 0.9;

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function okCount(result: LoadResult): number {
  return Object.entries(result.status)
    .filter(([code]) => code.startsWith('2'))
    .reduce((sum, [, n]) => sum + n, 0);
}

/** One load run as a report row; only 2xx count as throughput (429s or errors answered fast must not look like speed). */
export function rowOf(
  result: LoadResult,
  at: { round: number; windowUs: [number, number]; role: 'candidate' | 'baseline'; side: string },
): RoundRow {
  const ok = okCount(result);
  return {
    ...at,
    reqPerSec: ok / result.durationS,
    reqPerCpuS: ok / (result.serverCpuMs / 1000),
    p50Ms: result.latencyMs.p50,
    p99Ms: result.latencyMs.p99,
    serverCpuShare: result.serverCpuShare,
    loadCpuShare: result.loadCpuShare,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    status: result.status,
  };
}

async function measure(round: number, role: 'candidate' | 'baseline', side: Side): Promise<RoundRow> {
  const startedUs = Number(process.hrtime.bigint() / 1000n);
  const result = side.run ? await side.run() : await runLoad(side.server, side.load);
  const endedUs = Number(process.hrtime.bigint() / 1000n);
  return rowOf(result, { round, windowUs: [startedUs, endedUs], role, side: side.server.name });
}

/** One side's figures: the median of each measure over its rounds. */
export function medianOf(name: string, rows: RoundRow[]) {
  return {
    name,
    reqPerSec: median(rows.map((r) => r.reqPerSec)),
    reqPerCpuS: median(rows.map((r) => r.reqPerCpuS)),
    p50Ms: median(rows.map((r) => r.p50Ms ?? Number.NaN)),
    p99Ms: median(rows.map((r) => r.p99Ms ?? Number.NaN)),
    serverCpuShare: median(rows.map((r) => r.serverCpuShare)),
    loadCpuShare: median(rows.map((r) => r.loadCpuShare)),
  };
}

/** Runs the pair, prints the table, writes bench/results/<name>.json and returns the report. */
export async function comparePair(spec: PairSpec): Promise<Report> {
  const loadBefore = machineLoad();
  const rows: RoundRow[] = [];
  for (let round = 1; round <= spec.rounds; round++) {
    for (const [role, side] of [
      ['candidate', spec.candidate],
      ['baseline', spec.baseline],
    ] as const) {
      const row = await measure(round, role, side);
      rows.push(row);
      if (!spec.smoke) {
        process.stderr.write(
          `  round ${round}/${spec.rounds} ${row.side.padEnd(16)} ${Math.round(row.reqPerSec).toString().padStart(7)} req/s` +
            `  p99 ${row.p99Ms?.toFixed(2) ?? '-'} ms\n`,
        );
      }
    }
  }
  const side = (role: 'candidate' | 'baseline') =>
    medianOf(
      role === 'candidate' ? spec.candidate.server.name : spec.baseline.server.name,
      rows.filter((r) => r.role === role),
    );
  const candidate = side('candidate');
  const baseline = side('baseline');
  const ratio = candidate.reqPerSec / baseline.reqPerSec;
  const cpuRatio = candidate.reqPerCpuS / baseline.reqPerCpuS;
  const pairedRatios = Array.from({ length: spec.rounds }, (_, i) => {
    const c = rows.find((r) => r.round === i + 1 && r.role === 'candidate');
    const b = rows.find((r) => r.round === i + 1 && r.role === 'baseline');
    return c && b ? c.reqPerSec / b.reqPerSec : Number.NaN;
  });

  const warnings: string[] = [];
  for (const r of rows) {
    if (r.non2xx || r.errors) {
      warnings.push(`round ${r.round} ${r.side}: ${r.non2xx} non-2xx (${JSON.stringify(r.status)}) and ${r.errors} errors/timeouts`);
    }
  }
  for (const s of [candidate, baseline]) {
    if (s.serverCpuShare < SERVER_SATURATED) {
      warnings.push(
        `${s.name}: server used ${(s.serverCpuShare * 100).toFixed(0)}% of its core; not saturated (too few connections, or another process took the core)`,
      );
    }
    if (s.loadCpuShare > LOAD_GENERATOR_BUSY) {
      warnings.push(
        `${s.name}: load generator used ${(s.loadCpuShare * 100).toFixed(0)}% of its core; its req/s may be capped by the generator`,
      );
    }
  }

  const report: Report = {
    name: spec.name,
    title: spec.title,
    ...(spec.unit ? { unit: spec.unit } : {}),
    when: new Date().toISOString(),
    goal: spec.goal,
    ratio,
    pass: ratio >= spec.goal,
    pairedRatios,
    cpuRatio,
    candidate,
    baseline,
    load: {
      candidate: describeLoad(spec.candidate.load),
      baseline: describeLoad(spec.baseline.load),
    },
    rounds: rows,
    notes: spec.notes ?? [],
    warnings,
    machine: { ...machineInfo(), loadBefore, loadAfter: machineLoad() },
    ...(spec.smoke ? { smoke: true } : {}),
  };
  await writeReport(report);
  if (spec.smoke) checkSmoke(report);
  else printReport(report);
  return report;
}

function describeLoad(load: LoadSpec) {
  return {
    request: `${load.method ?? 'GET'} ${load.path}`,
    connections: load.connections,
    warmupS: load.warmupS,
    durationS: load.durationS,
  };
}

/** The load average (1, 5, 15 min), printed with every figure. */
export function machineLoad(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** What the figures were measured on: node, CPU, cores, pinning, commit. */
export function machineInfo() {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    pinning: PINNING ? `server on core ${CORES.server}, load generator on core ${CORES.load}` : 'off (noisier)',
    commit,
  };
}
