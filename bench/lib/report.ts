/**
 * Printing a pair's table and writing its JSON to bench/results/<name>.json (committed: the
 * evidence behind the README's numbers). Smoke runs go to bench/results/smoke/ (git-ignored).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchTableRow } from '../../scripts/bench-table.js';

/** One measured run of one side. */
export interface RoundRow {
  round: number;
  /** When the run (warm-up included) started and ended on the monotonic clock, in µs; used to cut profiles. */
  windowUs: [number, number];
  role: 'candidate' | 'baseline';
  side: string;
  /** 2xx responses per second. */
  reqPerSec: number;
  /** 2xx responses per second of server CPU time: less sensitive to other load on the machine. */
  reqPerCpuS: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Share of one core the server process used (1 = saturated). */
  serverCpuShare: number;
  /** Share of one core the load generator used while measuring. */
  loadCpuShare: number;
  non2xx: number;
  errors: number;
  status: Record<string, number>;
}

/** Medians over the rounds of one side. */
export interface SideSummary {
  name: string;
  reqPerSec: number;
  reqPerCpuS: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuShare: number;
  loadCpuShare: number;
}

export interface Report {
  name: string;
  title: string;
  /** What one counted response is (default req/s). */
  unit?: string;
  when: string;
  goal: number;
  /** median candidate req/s / median baseline req/s */
  ratio: number;
  /** Every goal met: the ratio's, and a bench with several measures (`table`) all of its own. */
  pass: boolean;
  /** candidate / baseline within each round: their spread shows how noisy the run was. */
  pairedRatios: number[];
  /** The same ratio over req per server CPU second: a cross-check when the machine was busy. */
  cpuRatio: number;
  candidate: SideSummary;
  baseline: SideSummary;
  load: Record<'candidate' | 'baseline', { request: string; connections: number; warmupS: number; durationS: number }>;
  rounds: RoundRow[];
  notes: string[];
  warnings: string[];
  machine: Record<string, string | number>;
  /** A smoke run (`--smoke`): proves the bench works; its numbers are not a measurement. */
  smoke?: boolean;
  /**
   * A bench with several measures (split): its README rows, one per measure. The pair fields
   * above then describe its headline measure.
   */
  table?: BenchTableRow[];
  /** That bench's own figures, rounds and goals, as evidence behind the rows. */
  measures?: Record<string, unknown>;
}

/** Where results go. */
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

const num = (n: number | null, digits = 2) => (n === null || !Number.isFinite(n) ? '-' : n.toFixed(digits));
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const pct = (n: number) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : '-');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function printReport(r: Report): void {
  const unit = r.unit ?? 'req/s';
  const header = ['round', 'side', unit, unit.replace(/\/s$/, '/cpu-s'), 'p50 ms', 'p99 ms', 'server cpu', 'loadgen cpu', 'non-2xx/err'];
  const rows = r.rounds.map((x) => [
    String(x.round),
    x.side,
    int(x.reqPerSec),
    int(x.reqPerCpuS),
    num(x.p50Ms),
    num(x.p99Ms),
    pct(x.serverCpuShare),
    pct(x.loadCpuShare),
    `${x.non2xx}/${x.errors}`,
  ]);
  for (const s of [r.candidate, r.baseline]) {
    rows.push([
      'median',
      s.name,
      int(s.reqPerSec),
      int(s.reqPerCpuS),
      num(s.p50Ms),
      num(s.p99Ms),
      pct(s.serverCpuShare),
      pct(s.loadCpuShare),
      '',
    ]);
  }
  const out = [
    '',
    `== ${r.name}: ${r.title}`,
    `   load: ${r.load.candidate.request} vs ${r.load.baseline.request}, ${r.load.candidate.connections} connections, ` +
      `${r.load.candidate.warmupS} s warm-up + ${r.load.candidate.durationS} s measured per round, ${r.rounds.length / 2} rounds A B A B`,
    ...r.notes.map((n) => `   ${n}`),
    `   machine: ${r.machine.cpu}, ${r.machine.cores} cores, node ${r.machine.node}, ${r.machine.pinning}; ` +
      `load average before ${r.machine.loadBefore}, after ${r.machine.loadAfter}`,
    '',
    table(header, rows),
    '',
    `   ratio candidate/baseline (median ${unit}): ${num(r.ratio)}  goal >= ${num(r.goal)}  ${r.ratio >= r.goal ? 'PASS' : 'MISS'}`,
    `   per-round ratios: ${r.pairedRatios.map((x) => num(x)).join(' ')}`,
    `   cross-check, ratio of ${unit.replace(/\/s$/, '')} per server CPU second: ${num(r.cpuRatio)} (trust it over req/s when server cpu is well below 100%)`,
    ...r.warnings.map((w) => `   warning: ${w}`),
    `   results: bench/results/${r.name}.json`,
    '',
  ];
  console.log(out.join('\n'));
}

/** Where a report is written: bench/results/<name>.json, or bench/results/smoke/ (git-ignored) for smoke runs. */
export function reportPath(r: Pick<Report, 'name' | 'smoke'>): string {
  return join(RESULTS_DIR, r.smoke ? 'smoke' : '', `${r.name}.json`);
}

export async function writeReport(r: Report): Promise<void> {
  const path = reportPath(r);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(r, null, 2)}\n`);
}

/**
 * What a smoke run prints instead of the table: that each side answered, and nothing that looks
 * like a ratio. Throws when a side answered anything but 2xx, or nothing at all.
 */
export function checkSmoke(r: Report): void {
  const problems = r.rounds.flatMap((x) => {
    const ok = Object.entries(x.status)
      .filter(([code]) => code.startsWith('2'))
      .reduce((sum, [, n]) => sum + n, 0);
    if (x.non2xx || x.errors) return [`${x.side}: ${x.non2xx} non-2xx (${JSON.stringify(x.status)}) and ${x.errors} errors/timeouts`];
    if (!ok) return [`${x.side}: no 2xx answer`];
    return [];
  });
  if (problems.length) throw new Error(`smoke ${r.name}: ${problems.join('; ')}`);
  console.log(
    `   smoke ${r.name}: ok (${r.rounds.map((x) => x.side).join(' and ')} answered only 2xx)  results: ${relative(process.cwd(), reportPath(r))}`,
  );
}
