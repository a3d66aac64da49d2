/** The README's benchmark table is what the committed results say (scripts/bench-table.ts). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type BenchResult, readResults, renderBenchTable } from '../scripts/bench-table.js';

/** Table cells without the padding the formatter adds. */
const cells = (table: string) =>
  table
    .trim()
    .split('\n')
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/^-+$/, '---'))
        .join('|'),
    );

const pair: BenchResult = {
  name: 'x',
  title: 'GET /x, Zaplecze vs raw',
  when: '2026-12-06T01:00:00Z',
  unit: 'things/s',
  goal: 0.7,
  ratio: 0.5,
  cpuRatio: 0.4,
  candidate: { reqPerSec: 1234.4 },
  baseline: { name: 'raw | piped', reqPerSec: 2468.8 },
  machine: { loadBefore: '1.5 1.0 0.5' },
};

describe('benchmark table', () => {
  it('a pair result gives one row with its unit, ratio, goal, date and load; pipes are escaped', () => {
    expect(cells(renderBenchTable([pair]))[2]).toBe(
      '|GET /x|raw \\| piped|1,234 things/s|2,469 things/s|0.50 (≥ 0.7)|0.40|2026-12-06, load 1.5|',
    );
  });

  it('a result with several measures gives its own rows; a missing figure shows as a dash', () => {
    const rows = cells(
      renderBenchTable([
        {
          name: 'split',
          title: 'split',
          when: '2026-12-06T02:00:00Z',
          table: [
            {
              measure: 'journey p50',
              baseline: 'all-in-one',
              zaplecze: '40 ms',
              baselineResult: '35 ms',
              ratio: 1.14,
              goal: '≤ 1.25',
              perCpu: null,
            },
          ],
        },
      ]),
    );
    expect(rows.slice(2)).toEqual(['|journey p50|all-in-one|40 ms|35 ms|1.14 (≤ 1.25)|—|2026-12-06|']);
  });

  it('the README shows exactly the committed results (regenerate with npm run bench:table -- --write)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const block = /<!-- bench-table:start -->([\s\S]*?)<!-- bench-table:end -->/.exec(readme)?.[1] ?? '';
    expect(cells(block)).toEqual(cells(renderBenchTable(readResults())));
  });
});
