/**
 * What observability costs: the same compiled server three times, side by side on the catalog's
 * PostgreSQL data, measured on `GET /health/live` and `GET /api/v1/products/:id`:
 *
 * - off               no METRICS_PORT, no OTEL_* variables
 * - metrics           METRICS_PORT set, and /metrics scraped every SCRAPE_EVERY_MS during the run
 * - metrics+tracing   also OTEL_EXPORTER_OTLP_ENDPOINT (a sink in this process that answers 200
 *                     and counts what arrives) and OTEL_TRACES_SAMPLER=always_on
 *
 * Goals (issue #16): metrics/off >= 0.9 and metrics+tracing/off >= 0.75 for each path. Rounds
 * are interleaved (each round runs every path on every side, the side order rotating per round)
 * so drifts of the machine hit all three alike. The sink's request and byte counts per side show
 * whether spans were really exported: a tracing side with none ran without tracing.
 */
import { catalogOnPostgres } from './catalog.js';
import { type Bench, type BenchOptions, fetchJson, withServers } from './lib/bench.js';
import { LOAD_GENERATOR_BUSY, machineInfo, machineLoad, medianOf, rowOf, SERVER_SATURATED } from './lib/compare.js';
import { type LoadSpec, runLoad } from './lib/load.js';
import { startOtlpSink } from './lib/otlp-sink.js';
import { freePort, type ServerProcess } from './lib/processes.js';
import { checkSmoke, type Report, type RoundRow, writeReport } from './lib/report.js';
import { buildZaplecze, startZaplecze } from './lib/zaplecze.js';

/** Prometheus' usual interval is 15-60 s; every second is the harsh end, so the figure is an upper bound. */
const SCRAPE_EVERY_MS = 1_000;
const GOALS = { metrics: 0.9, tracing: 0.75 };
const SIDES = ['off', 'metrics', 'metrics+tracing'] as const;
type SideName = (typeof SIDES)[number];
/** Inherited by the servers through the environment, they would switch the `off` side on. */
const MUST_BE_UNSET = ['METRICS_PORT', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_TRACES_SAMPLER'];

interface PathSpec {
  key: 'health' | 'product';
  label: string;
  path: string;
}

interface Row extends RoundRow {
  path: PathSpec['key'];
  /** Scrapes of /metrics during the run (warm-up included), and how many failed. */
  scrapes: number;
  scrapeFailures: number;
  /** What the OTLP sink received during the run (warm-up included). */
  exports: number;
  exportBytes: number;
}

/** Scrapes `url` every SCRAPE_EVERY_MS until stopped, as Prometheus would; counts scrapes and failures. */
function scrapeWhile(url: string | undefined) {
  const tally = { scrapes: 0, failures: 0 };
  if (!url) return { tally, stop: async () => tally };
  let inFlight: Promise<void> = Promise.resolve();
  const scrape = () => {
    inFlight = fetch(url, { signal: AbortSignal.timeout(5_000) })
      .then(async (res) => {
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`status ${res.status}`);
        tally.scrapes += 1;
      })
      .catch(() => {
        tally.failures += 1;
      });
  };
  scrape();
  const timer = setInterval(scrape, SCRAPE_EVERY_MS);
  return {
    tally,
    async stop() {
      clearInterval(timer);
      await inFlight;
      return tally;
    },
  };
}

export const observabilityBench: Bench = {
  name: 'observability',
  description: `GET /health/live and /products/:id with metrics (scraped every ${SCRAPE_EVERY_MS / 1000} s) and with metrics + tracing at 100 % vs both off (goals >= ${GOALS.metrics}, >= ${GOALS.tracing})`,
  async run(options: BenchOptions): Promise<Report> {
    const inherited = MUST_BE_UNSET.filter((name) => process.env[name]);
    if (inherited.length) throw new Error(`unset ${inherited.join(', ')}: the servers inherit them and the 'off' side would not be off`);
    await buildZaplecze({ skip: options.skipBuild });
    const catalog = await catalogOnPostgres(options);
    const paths: PathSpec[] = [
      { key: 'health', label: 'GET /health/live', path: '/health/live' },
      { key: 'product', label: 'GET /products/{id}', path: catalog.productPath },
    ];
    const sink = await startOtlpSink();
    const loadBefore = machineLoad();
    try {
      return await withServers(async (track) => {
        const servers = new Map<SideName, { server: ServerProcess; metricsUrl?: string }>();
        // Started together (migrations take an advisory lock); settled all before a failure is thrown, so each started one is tracked and stopped.
        const started = await Promise.allSettled(
          SIDES.map(async (side) => {
            const metricsPort = side === 'off' ? undefined : await freePort();
            const env: Record<string, string> = {
              ...catalog.env,
              ...(metricsPort ? { METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1' } : {}),
              ...(side === 'metrics+tracing'
                ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'always_on', OTEL_SERVICE_NAME: 'zaplecze-bench' }
                : {}),
            };
            const server = track(await startZaplecze(env));
            servers.set(side, {
              server: { ...server, name: side },
              metricsUrl: metricsPort ? `http://127.0.0.1:${metricsPort}/metrics` : undefined,
            });
          }),
        );
        const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (failed) throw failed.reason;
        // Every side must answer each path alike before anything is timed.
        for (const { path } of paths) {
          const bodies = await Promise.all(
            SIDES.map(async (side) => JSON.stringify((await fetchJson(`${servers.get(side)?.server.url}${path}`, { expect: 200 })).body)),
          );
          if (new Set(bodies).size !== 1)
            throw new Error(`the sides answer ${path} differently: ${bodies.map((b) => b.slice(0, 200)).join(' | ')}`);
        }

        const load = (path: string): LoadSpec => ({
          path,
          connections: options.connections ?? 50,
          warmupS: options.warmupS ?? 3,
          durationS: options.durationS ?? 10,
        });
        const rows: Row[] = [];
        for (let round = 1; round <= options.rounds; round++) {
          for (const spec of paths) {
            // Rotated per round: no side always runs first (colder) or right after another's load.
            const order = SIDES.map((_, i) => SIDES[(i + round - 1) % SIDES.length] as SideName);
            for (const side of order) {
              const { server, metricsUrl } = servers.get(side) as { server: ServerProcess; metricsUrl?: string };
              const before = { ...sink.counts };
              const scraper = scrapeWhile(metricsUrl);
              const startedUs = Number(process.hrtime.bigint() / 1000n);
              const result = await runLoad(server, load(spec.path));
              const endedUs = Number(process.hrtime.bigint() / 1000n);
              const tally = await scraper.stop();
              const row: Row = {
                ...rowOf(result, {
                  round,
                  windowUs: [startedUs, endedUs],
                  role: side === 'off' ? 'baseline' : 'candidate',
                  side: `${side} ${spec.key}`,
                }),
                path: spec.key,
                scrapes: tally.scrapes,
                scrapeFailures: tally.failures,
                exports: sink.counts.requests - before.requests,
                exportBytes: sink.counts.bytes - before.bytes,
              };
              rows.push(row);
              if (!options.smoke) {
                process.stderr.write(
                  `  round ${round}/${options.rounds} ${spec.key.padEnd(8)} ${side.padEnd(16)} ${Math.round(row.reqPerSec).toString().padStart(7)} req/s` +
                    `  p99 ${row.p99Ms?.toFixed(2) ?? '-'} ms  scrapes ${row.scrapes}  OTLP exports ${row.exports} (${Math.round(row.exportBytes / 1024)} KiB)\n`,
                );
              }
            }
          }
        }
        return summarise(rows, paths, options, { loadBefore, products: catalog.products, pool: catalog.env.DATABASE_POOL_SIZE ?? '?' });
      });
    } finally {
      await sink.close();
    }
  },
};

/** Medians per path and side, the four ratios, the README rows; writes and prints the report. */
async function summarise(
  rows: Row[],
  paths: PathSpec[],
  options: BenchOptions,
  context: { loadBefore: string; products: number; pool: string },
): Promise<Report> {
  const of = (path: PathSpec['key'], side: SideName) => rows.filter((r) => r.path === path && r.side === `${side} ${path}`);
  const summary = (path: PathSpec['key'], side: SideName) => medianOf(`${side} ${path}`, of(path, side));
  const sum = (list: Row[], pick: (r: Row) => number) => list.reduce((n, r) => n + pick(r), 0);
  const measures = paths.flatMap((p) => {
    const off = summary(p.key, 'off');
    return (['metrics', 'metrics+tracing'] as const).map((side) => {
      const on = summary(p.key, side);
      const goal = side === 'metrics' ? GOALS.metrics : GOALS.tracing;
      const ratio = on.reqPerSec / off.reqPerSec;
      const paired = Array.from({ length: options.rounds }, (_, i) => {
        const a = of(p.key, side).find((r) => r.round === i + 1);
        const b = of(p.key, 'off').find((r) => r.round === i + 1);
        return a && b ? a.reqPerSec / b.reqPerSec : Number.NaN;
      });
      return {
        path: p,
        side,
        off,
        on,
        goal,
        ratio,
        cpuRatio: on.reqPerCpuS / off.reqPerCpuS,
        pass: ratio >= goal,
        paired,
        scrapes: sum(of(p.key, side), (r) => r.scrapes),
        scrapeFailures: sum(of(p.key, side), (r) => r.scrapeFailures),
        exports: sum(of(p.key, side), (r) => r.exports),
        exportBytes: sum(of(p.key, side), (r) => r.exportBytes),
      };
    });
  });
  const perSec = (n: number) => `${Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-'} req/s`;
  const table = measures.map((m) => ({
    measure:
      m.side === 'metrics'
        ? `observability: ${m.path.label}, metrics on (scraped every ${SCRAPE_EVERY_MS / 1000} s)`
        : `observability: ${m.path.label}, metrics + tracing sampled at 100 %`,
    baseline: 'both off',
    zaplecze: perSec(m.on.reqPerSec),
    baselineResult: perSec(m.off.reqPerSec),
    ratio: m.ratio,
    goal: `≥ ${m.goal}`,
    perCpu: m.cpuRatio,
  }));

  const warnings: string[] = [];
  for (const r of rows) {
    if (r.non2xx || r.errors)
      warnings.push(`round ${r.round} ${r.side}: ${r.non2xx} non-2xx (${JSON.stringify(r.status)}) and ${r.errors} errors/timeouts`);
    if (r.scrapeFailures)
      warnings.push(`round ${r.round} ${r.side}: ${r.scrapeFailures} of ${r.scrapes + r.scrapeFailures} scrapes failed`);
  }
  // The pair benches' checks: a side whose server did not saturate its core, or whose load generator did, measured the machine.
  for (const side of [...paths.map((p) => summary(p.key, 'off')), ...measures.map((m) => m.on)]) {
    if (side.serverCpuShare < SERVER_SATURATED)
      warnings.push(
        `${side.name}: server used ${Math.round(side.serverCpuShare * 100)}% of its core; not saturated (trust the per CPU-s ratio)`,
      );
    if (side.loadCpuShare > LOAD_GENERATOR_BUSY)
      warnings.push(
        `${side.name}: load generator used ${Math.round(side.loadCpuShare * 100)}% of its core; its req/s may be capped by the generator`,
      );
  }
  for (const m of measures) {
    if (m.side === 'metrics+tracing' && m.exports === 0) {
      warnings.push(
        `${m.path.label}: the OTLP sink received no export from the tracing side: tracing was not on (this build has none, or it ignored the OTEL_* variables)`,
      );
    }
  }
  const tracingSeen = measures.filter((m) => m.side === 'metrics+tracing').every((m) => m.exports > 0);

  const headline =
    measures.find((m) => m.path.key === 'product' && m.side === 'metrics+tracing') ?? (measures[0] as (typeof measures)[number]);
  const loadOf = (path: string) => ({
    request: `GET ${path}`,
    connections: options.connections ?? 50,
    warmupS: options.warmupS ?? 3,
    durationS: options.durationS ?? 10,
  });
  const report: Report = {
    name: 'observability',
    title: 'GET /health/live and GET /products/{id}: metrics, and metrics + tracing at 100 %, vs both off',
    when: new Date().toISOString(),
    goal: headline.goal,
    ratio: headline.ratio,
    pass: measures.every((m) => m.pass),
    pairedRatios: headline.paired,
    cpuRatio: headline.cpuRatio,
    candidate: headline.on,
    baseline: headline.off,
    load: { candidate: loadOf(headline.path.path), baseline: loadOf(headline.path.path) },
    rounds: rows,
    notes: [
      `three servers (the same dist/ build) on one PostgreSQL database of ${context.products} products, pool ${context.pool} each; PostgreSQL is not pinned and shares both cores`,
      `metrics sides: GET /metrics every ${SCRAPE_EVERY_MS / 1000} s during each run (warm-up included); tracing side: OTEL_TRACES_SAMPLER=always_on, OTLP/HTTP to a sink in the bench process (its CPU is not counted)`,
      `rounds rotate the side order; each round runs both paths on all three sides`,
      ...measures
        .filter((m) => m.side === 'metrics+tracing')
        .map(
          (m) =>
            `${m.path.label}: the OTLP sink received ${m.exports} export requests, ${Math.round(m.exportBytes / 1024)} KiB, over the tracing side's runs`,
        ),
      ...measures
        .filter((m) => m.side === 'metrics')
        .map((m) => `${m.path.label}: ${m.scrapes} scrapes on the metrics side${m.scrapeFailures ? `, ${m.scrapeFailures} failed` : ''}`),
    ],
    warnings,
    machine: { ...machineInfo(), loadBefore: context.loadBefore, loadAfter: machineLoad() },
    ...(options.smoke ? { smoke: true } : {}),
    table,
    measures: {
      goals: GOALS,
      scrapeEveryMs: SCRAPE_EVERY_MS,
      tracingExported: tracingSeen,
      ratios: measures.map((m) => ({
        path: m.path.label,
        side: m.side,
        ratio: m.ratio,
        cpuRatio: m.cpuRatio,
        goal: m.goal,
        pass: m.pass,
        pairedRatios: m.paired,
        medians: { on: m.on, off: m.off },
        scrapes: m.scrapes,
        otlpExports: m.exports,
        otlpBytes: m.exportBytes,
      })),
    },
  };
  await writeReport(report);
  if (options.smoke) {
    checkSmoke(report);
    if (!tracingSeen) console.log('   smoke observability: note: no OTLP export reached the sink (tracing not in this build)');
    return report;
  }
  const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
  console.log(
    [
      '',
      `== observability: ${report.title}`,
      ...report.notes.map((n) => `   ${n}`),
      `   machine: ${report.machine.cpu}, ${report.machine.cores} cores, node ${report.machine.node}, ${report.machine.pinning}; load average before ${report.machine.loadBefore}, after ${report.machine.loadAfter}`,
      '   vs both off (median req/s; the per CPU-s ratio in brackets):',
      ...measures.map(
        (m) =>
          `   ${m.path.label.padEnd(20)} ${m.side.padEnd(16)} ${perSec(m.on.reqPerSec)} vs ${perSec(m.off.reqPerSec)}  ratio ${m.ratio.toFixed(2)} (${m.cpuRatio.toFixed(2)})` +
          `  goal ≥ ${m.goal}  ${verdict(m.pass)}  rounds ${m.paired.map((x) => x.toFixed(2)).join(' ')}` +
          (m.side === 'metrics+tracing'
            ? `  OTLP exports ${m.exports} (${Math.round(m.exportBytes / 1024)} KiB)`
            : `  scrapes ${m.scrapes}`),
      ),
      ...warnings.map((w) => `   warning: ${w}`),
      '   results: bench/results/observability.json',
      '',
    ].join('\n'),
  );
  return report;
}
