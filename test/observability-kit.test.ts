/**
 * The operations kit (deploy/observability/, the compose `observability` profile) checked
 * against the server: every metric the Grafana dashboard or the alert rules read must be one
 * the server exports, and every file compose mounts must exist and parse.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registerPlatformMetrics } from '../src/platform/metrics/platform-metrics.js';
import { createMetricsRegistry } from '../src/platform/metrics/prom-registry.js';
import { type Exposition, parsePrometheusText } from './prometheus-text.js';
import { promqlMetricNames, unexportedMetrics } from './promql-metric-names.js';
import { API } from './shop-fixtures.js';
import { createTestApp, type TestApp } from './test-app.js';

const ROOT = join(import.meta.dirname, '..');
const KIT = join(ROOT, 'deploy/observability');
/** Series Prometheus writes itself for every target; the server does not export them. */
const PROMETHEUS_OWN = new Set(['up']);

const readYaml = (path: string) => parse(readFileSync(path, 'utf8'));

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: { expr: string }[];
  panels?: Panel[];
}

const alertRules = (): AlertRule[] =>
  (readYaml(join(KIT, 'alerts.yml')) as { groups: { rules: AlertRule[] }[] }).groups.flatMap((g) => g.rules);
const dashboard = () =>
  JSON.parse(readFileSync(join(KIT, 'grafana/dashboards/zaplecze.json'), 'utf8')) as {
    schemaVersion: number;
    templating: { list: { name: string; type: string; query: string }[] };
    panels: Panel[];
  };
const dashboardPanels = () => dashboard().panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const dashboardExprs = () => dashboardPanels().flatMap((p) => (p.targets ?? []).map((t) => t.expr));

/** Every metric name the kit's queries read, with where it is read (for the failure message). */
function kitMetricNames() {
  const used = new Map<string, string>();
  for (const rule of alertRules()) for (const name of promqlMetricNames(rule.expr)) used.set(name, `alert ${rule.alert}`);
  for (const panel of dashboardPanels())
    for (const target of panel.targets ?? []) for (const name of promqlMetricNames(target.expr)) used.set(name, `panel "${panel.title}"`);
  for (const name of PROMETHEUS_OWN) used.delete(name);
  return used;
}

describe('PromQL metric names (the check itself)', () => {
  it('when an expression has functions, aggregations, label lists, matchers, ranges, numbers and Grafana variables, then only the metric names are kept', () => {
    expect(
      promqlMetricNames(
        'histogram_quantile(0.99, sum by (le, http_route) (rate(a_seconds_bucket{http_route!="unmatched", le=~"1e3"}[$__rate_interval]))) > 1e-3',
      ),
    ).toEqual(['a_seconds_bucket']);
    expect(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, not a template
      promqlMetricNames('sum(rate(x_total{job="${job}"}[5m] offset 1h)) / on (instance) group_left max without (module) (y) and bool up'),
    ).toEqual(['x_total', 'y', 'up']);
  });

  it('when a query names a metric the scrape does not carry, then it is reported; histogram series count as their family, gauges do not', () => {
    const exposition = parsePrometheusText(
      [
        '# TYPE h_seconds histogram',
        'h_seconds_bucket{le="+Inf"} 1',
        'h_seconds_count 1',
        'h_seconds_sum 0.1',
        '# TYPE g gauge',
        'g 1',
      ].join('\n'),
    );
    expect(
      unexportedMetrics(['h_seconds_bucket', 'h_seconds_count', 'h_seconds_sum', 'g', 'g_count', 'zaplecze_made_up_total'], exposition),
    ).toEqual(['g_count', 'zaplecze_made_up_total']);
  });
});

describe('the dashboard and the alert rules against the server', () => {
  let t: TestApp;
  let exported: Pick<Exposition, 'types'>;

  beforeAll(async () => {
    t = await createTestApp({ env: { METRICS_PORT: '0' } });
    // A tiny journey, so the labelled series have samples and not only `# TYPE` lines.
    const user = await t.createUser();
    const failed = await t.request({
      method: 'POST',
      url: `${API}/auth/login`,
      payload: { email: user.email, password: 'wrong password' },
    });
    expect(failed.statusCode).toBe(401);
    expect((await t.request({ method: 'GET', url: `${API}/products` })).statusCode).toBe(200);
    const res = await fetch(`http://127.0.0.1:${t.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    const scraped = parsePrometheusText(await res.text());

    // The pool and Redis gauges (and the span tally) are registered only where those engines run (where tracing exports). The platform's own
    // registration, given a pool and a ready Redis, names them, so no list here can go stale.
    const engines = createMetricsRegistry();
    registerPlatformMetrics(engines, {
      database: { ...t.platform.database, poolStats: () => ({ inUse: 0, idle: 0, waiting: 0 }) },
      redis: { status: 'ready' } as Redis,
      bus: { check: async () => {}, lag: async () => [{ module: 'shop', type: 'order.paid', events: 0 }] },
      passwords: { queued: () => 0 },
      spans: { exported: 0, failed: 0, dropped: 0 },
    });
    const withEngines = parsePrometheusText(await engines.render());
    exported = { types: new Map([...withEngines.types, ...scraped.types]) };
  });
  afterAll(async () => {
    await t?.close();
  });

  it('when the journey ran, then the scrape carries what it did (so the check below compares against a real scrape)', () => {
    expect(exported.types.get('http_server_request_duration_seconds')).toBe('histogram');
    expect(exported.types.get('zaplecze_identity_login_failures_total')).toBe('counter');
    expect(exported.types.get('zaplecze_db_pool_connections')).toBe('gauge');
  });

  it('when the dashboard and the alert rules are read, then every metric they name is exported by the server', () => {
    const used = kitMetricNames();
    // The brief's coverage, so an emptied dashboard cannot pass.
    for (const name of [
      'http_server_request_duration_seconds_bucket',
      'http_server_request_duration_seconds_count',
      'http_server_active_requests',
      'zaplecze_outbox_oldest_unsent_age_seconds',
      'zaplecze_outbox_backlog_events',
      'zaplecze_dead_letters',
      'zaplecze_event_consumer_lag_events',
      'zaplecze_db_pool_connections',
      'db_client_operation_duration_seconds_bucket',
      'zaplecze_chat_open_sockets',
      'zaplecze_chat_messages_total',
      'zaplecze_shop_checkouts_total',
      'zaplecze_identity_login_failures_total',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(used.has(name), name).toBe(true);
    }
    const missing = unexportedMetrics(used.keys(), exported);
    expect(missing.map((name) => `${name} (${used.get(name)})`)).toEqual([]);
  });
});

describe('the kit files', () => {
  it('when the alert rules are read, then each has a duration, a severity, a summary and a description', () => {
    const rules = alertRules();
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'ZapleczeHigh5xxRatio',
        'ZapleczeHighP99Latency',
        'ZapleczeOutboxStuck',
        'ZapleczeDeadLetters',
        'ZapleczeConsumerLagGrowing',
        'ZapleczeEventLoopDelay',
      ]),
    );
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
    }
  });

  it('when the dashboard is read, then it picks its Prometheus datasource through a variable that every panel uses', () => {
    const { schemaVersion, templating } = dashboard();
    expect(schemaVersion).toBeGreaterThanOrEqual(39);
    expect(templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
    const queried = dashboardPanels().filter((p) => p.type !== 'row');
    expect(queried.length).toBeGreaterThan(10);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template
    for (const panel of queried) expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
    expect(dashboardExprs().every((expr) => expr.trim() !== '')).toBe(true);
  });

  it('when compose runs the observability profile, then every mounted file exists and parses and lands where its reader looks', () => {
    // Merge keys resolved, as compose reads them (the app services share one environment block).
    const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { profiles?: string[]; volumes?: string[]; environment?: Record<string, string> }>;
    };
    const profiled = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('observability'));
    expect(profiled.map(([name]) => name).sort()).toEqual(['grafana', 'jaeger', 'prometheus']);
    const mounts = new Map<string, string>(); // container path -> host path
    for (const [, service] of profiled) {
      for (const volume of service.volumes ?? []) {
        const [source, target] = volume.split(':') as [string, string];
        if (!source.startsWith('./')) continue; // named volumes
        const host = join(ROOT, source);
        expect(existsSync(host), source).toBe(true);
        mounts.set(target, host);
      }
    }
    const hostOf = (containerPath: string) =>
      [...mounts]
        .map(([target, host]) => (containerPath.startsWith(target) ? join(host, containerPath.slice(target.length)) : undefined))
        .find(Boolean);

    // Prometheus: its rule files are mounted, and it scrapes the metrics port of every service
    // that runs the app (the split's deployables and the all-in-one profile) on the compose network.
    const prometheus = readYaml(join(KIT, 'prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: { dns_sd_configs: { names: string[]; port: number }[] }[];
    };
    for (const file of prometheus.rule_files) expect(existsSync(hostOf(file) ?? ''), file).toBe(true);
    const targets = prometheus.scrape_configs.flatMap((c) => c.dns_sd_configs);
    const appServices = Object.entries(compose.services).filter(([, s]) => s.environment?.DEPLOYMENT);
    expect(appServices.length).toBeGreaterThanOrEqual(5);
    for (const [name, service] of appServices) {
      const target = targets.find((t) => t.names.includes(name));
      expect(target, `${name} is scraped`).toBeDefined();
      expect(String(target?.port), name).toBe(service.environment?.METRICS_PORT);
    }

    // Grafana: the datasource and dashboard provider parse; the provider's folder is the mounted dashboards.
    const datasources = readYaml(join(KIT, 'grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { type: string; url: string }[];
    };
    expect(datasources.datasources).toContainEqual(expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }));
    const providers = readYaml(join(KIT, 'grafana/provisioning/dashboards/zaplecze.yml')) as { providers: { options: { path: string } }[] };
    for (const provider of providers.providers) expect(existsSync(join(hostOf(provider.options.path) ?? '', 'zaplecze.json'))).toBe(true);
    expect(existsSync(hostOf(compose.services.grafana?.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '') ?? '')).toBe(true);
  });
});
