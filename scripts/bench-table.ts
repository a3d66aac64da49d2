/**
 * The README's benchmark table, generated from the committed results in bench/results/*.json, so
 * the figures it shows are exactly the evidence beside them (date, machine, load). A pair bench's
 * report gives one row; a bench with several measures (split) writes its rows in `table`.
 * `npm run bench:table` prints it; `-- --write` replaces what is between the bench-table markers
 * in README.md (then `npx biome format --write README.md`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReadmeBlock } from './readme-block.js';

/** One README row, as a bench with several measures writes it under `table`. */
export interface BenchTableRow {
  measure: string;
  baseline: string;
  zaplecze: string;
  baselineResult: string;
  /** Zaplecze ÷ baseline (or as the measure defines it: higher is better unless `goal` says ≤). */
  ratio: number | null;
  goal: string | null;
  perCpu: number | null;
}

/** What the renderer reads of a results file. */
export interface BenchResult {
  name: string;
  title: string;
  when: string;
  unit?: string;
  goal?: number;
  ratio?: number;
  cpuRatio?: number;
  candidate?: { reqPerSec: number };
  baseline?: { name: string; reqPerSec: number };
  machine?: { loadBefore?: string };
  table?: BenchTableRow[];
}

const RESULTS = fileURLToPath(new URL('../bench/results/', import.meta.url));

export function readResults(dir = RESULTS): BenchResult[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as BenchResult);
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(2));
const cell = (text: string) => text.replaceAll('|', '\\|');

export function rowsOf(result: BenchResult): BenchTableRow[] {
  if (result.table) return result.table;
  if (!result.candidate || !result.baseline) throw new Error(`bench/results/${result.name}.json has neither a pair nor a table`);
  const unit = result.unit ?? 'req/s';
  return [
    {
      measure: result.title.replace(/, Zaplecze.*$/, ''),
      baseline: result.baseline.name,
      zaplecze: `${int(result.candidate.reqPerSec)} ${unit}`,
      baselineResult: `${int(result.baseline.reqPerSec)} ${unit}`,
      ratio: result.ratio ?? null,
      goal: result.goal === undefined ? null : `≥ ${result.goal}`,
      perCpu: result.cpuRatio ?? null,
    },
  ];
}

export function renderBenchTable(results: readonly BenchResult[]): string {
  const lines = [
    '| bench | baseline | Zaplecze | baseline result | ratio (goal) | per CPU-s | measured |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const result of results) {
    const when = `${result.when.slice(0, 10)}${result.machine?.loadBefore ? `, load ${result.machine.loadBefore.split(' ')[0]}` : ''}`;
    for (const row of rowsOf(result)) {
      const goal = row.goal ? ` (${row.goal})` : '';
      lines.push(
        `| ${cell(row.measure)} | ${cell(row.baseline)} | ${cell(row.zaplecze)} | ${cell(row.baselineResult)} | ${ratio(row.ratio)}${goal} | ${ratio(row.perCpu)} | ${when} |`,
      );
    }
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const table = renderBenchTable(readResults());
  if (process.argv.includes('--write')) {
    writeReadmeBlock('bench-table', table);
    console.log('README.md: benchmark table written');
  } else {
    console.log(table);
  }
}
