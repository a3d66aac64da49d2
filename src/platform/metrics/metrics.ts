/**
 * The metrics port: how the platform and the modules record what operators watch. With
 * METRICS_PORT set it is backed by a prom-client registry (prom-registry.ts, served as Prometheus
 * text on its own listener, see metrics-server.ts); unset, every instrument is a no-op, no
 * collect function is ever called and prom-client is not even loaded.
 *
 * prom-client rather than the OpenTelemetry SDK with its Prometheus exporter: it measured about
 * 2.4x cheaper per recorded request and 1.9x per scrape (bench/metrics-cost.ts, README "Metrics"),
 * and it brings the Node runtime metrics (event loop, GC, heap, CPU) itself. The names follow
 * the OpenTelemetry semantic conventions, so dashboards do not care which library wrote them.
 */

/** Label values of one observation, by label name. */
export type Labels<L extends string> = Partial<Record<L, string | number>>;

/** One series of a labelled gauge: its label values and its value. */
export interface LabelledValue<L extends string> {
  labels: Record<L, string | number>;
  value: number;
}

/** A number that only goes up (events, outcomes); Prometheus derives rates from it. */
export interface CounterMetric<L extends string = never> {
  inc(labels?: Labels<L>, by?: number): void;
}

/** A distribution of observed values (durations), in fixed buckets. */
export interface HistogramMetric<L extends string = never> {
  observe(labels: Labels<L>, value: number): void;
}

/** A level that the code moves up and down itself (requests in flight). */
export interface LevelMetric {
  inc(): void;
  dec(): void;
}

/** The port modules receive as `platform.metrics`. Register at start-up, once per name. */
export interface Metrics {
  /** False when METRICS_PORT is unset: instruments are no-ops and collect functions never run. */
  readonly enabled: boolean;
  counter<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): CounterMetric<L>;
  /** A value read when Prometheus scrapes (queue lengths, open sockets, table backlogs). */
  gauge(name: string, help: string, collect: () => number | Promise<number>): void;
  /**
   * Like `gauge`, one series per label set the read returns (e.g. dead letters per module and
   * event type). A label set missing from a read drops out of the scrape.
   */
  gaugeByLabels<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: () => readonly LabelledValue<L>[] | Promise<readonly LabelledValue<L>[]>,
  ): void;
  /**
   * A counter that something else keeps (a library's own tallies), read when Prometheus scrapes:
   * one series per label set the read returns, each value only ever growing.
   */
  counterByLabels<L extends string>(name: string, help: string, labelNames: readonly L[], collect: () => readonly LabelledValue<L>[]): void;
  histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): HistogramMetric<L>;
  level(name: string, help: string): LevelMetric;
}

/** The platform's side of the port: the registry the metrics listener renders. */
export interface MetricsRegistry extends Metrics {
  /** The Prometheus text exposition of every registered metric. */
  render(): Promise<string>;
  readonly contentType: string;
}

const NO_OP = { inc() {}, dec() {}, observe() {} };

/** The port when METRICS_PORT is unset: nothing is registered or measured. */
export const disabledMetrics: Metrics = {
  enabled: false,
  counter: () => NO_OP,
  gauge() {},
  gaugeByLabels() {},
  counterByLabels() {},
  histogram: () => NO_OP,
  level: () => NO_OP,
};
