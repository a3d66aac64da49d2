/**
 * The metric names a PromQL expression reads, for tests that check dashboards and alert rules
 * against what the server exports. Not a PromQL parser: it drops what cannot be a metric name
 * (strings, label matchers, ranges, `by (...)` label lists, Grafana variables, numbers) and
 * keeps the identifiers that are not functions or keywords.
 */
import type { Exposition } from './prometheus-text.js';

// Binary operators and modifiers; `group_left` and `group_right` may stand without a label list.
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
  'atan2',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
]);
/** Aggregations may be written `sum by (x) (...)`, with their name not directly before `(`. */
const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);

/** The distinct metric names `expr` selects, in order of appearance. */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // strings
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ') // Grafana variables ($__rate_interval, ${datasource})
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const names: string[] = [];
  for (const match of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = match as unknown as [string, string, string | undefined];
    if (call || KEYWORDS.has(name) || AGGREGATIONS.has(name)) continue;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

const HISTOGRAM_SERIES = /^(.+)_(?:bucket|count|sum)$/;

/** The names that no family of the scrape exports (a histogram's `_bucket`/`_count`/`_sum` count as its family). */
export function unexportedMetrics(names: Iterable<string>, exported: Pick<Exposition, 'types'>): string[] {
  return [...names].filter((name) => {
    if (exported.types.has(name)) return false;
    const family = HISTOGRAM_SERIES.exec(name)?.[1];
    const kind = family === undefined ? undefined : exported.types.get(family);
    return kind !== 'histogram' && kind !== 'summary';
  });
}
