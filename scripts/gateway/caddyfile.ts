/**
 * The gateway's Caddyfile, generated from ROUTES (src/deployments.ts) so the proxy and the
 * services can never disagree on who serves a path. Upstreams, the listen port and the folder of
 * the exported OpenAPI document come from the environment when Caddy starts (`{$VAR}` is
 * substituted before parsing, so one variable may hold several `host:port` upstreams).
 */
import { FALLBACK_SERVICE, ROUTES, SERVICES, type ServiceName } from '../../src/deployments.js';

/** Where the committed file lives; `npm run gateway:config -- --write` rewrites it. */
export const CADDYFILE_PATH = 'deploy/gateway/Caddyfile';

/** The environment variable that lists a service's upstreams (`host:port host:port`). */
export const upstreamsVariable = (service: ServiceName) => `${service.toUpperCase()}_UPSTREAMS`;

/**
 * Methods the gateway may send to a second instance: they carry no body. Caddy 2.6 cannot send a
 * request body twice (caddy#5454; fixed in later releases, caddy#7360 and #7547): a retried write
 * fails with "invalid Read on closed Body", and that failure is counted against the healthy
 * instance it was retried on, taking it out of the rotation too. So writes are never retried by
 * the gateway, not even after a refused connection; a client retries POST /orders with the same
 * Idempotency-Key, which the service replays.
 */
export const RETRIED_METHODS: readonly string[] = ['GET', 'HEAD', 'OPTIONS'];

const TAB = '\t';

/** `path` arguments matching exactly what `serviceFor` gives by prefix: Caddy's `*` suffix is a prefix match. */
function pathPatterns(prefixes: readonly string[]): string {
  return prefixes.map((p) => `${p}*`).join(' ');
}

/**
 * A service's matcher: its prefixes, minus the longer prefixes of other services that start with
 * one of them (longest prefix wins in ROUTES), so the matchers are disjoint and their order in the
 * file does not matter.
 */
function matcherOf(service: ServiceName): string[] {
  const own = ROUTES.filter((r) => r.service === service).map((r) => r.prefix);
  const carvedOut = ROUTES.filter((r) => r.service !== service && own.some((p) => r.prefix.startsWith(p) && r.prefix !== p)).map(
    (r) => r.prefix,
  );
  return block(`@${service}`, [`path ${pathPatterns(own)}`, ...(carvedOut.length ? [`not path ${pathPatterns(carvedOut)}`] : [])]);
}

function block(head: string, body: readonly string[]): string[] {
  return [`${head} {`, ...indent(body), '}'];
}

function indent(lines: readonly string[], depth = 1): string[] {
  return lines.map((line) => (line ? `${TAB.repeat(depth)}${line}` : line));
}

/** Balancing and health checks every proxy of a service shares (passive failure counts are per upstream address, so shared too). */
const BALANCING = [
  'lb_policy least_conn',
  // Active checks: a draining instance (SIGTERM, then SHUTDOWN_DELAY) answers 503 and leaves the rotation.
  'health_uri /health/ready',
  'health_interval 1s',
  'health_timeout 2s',
  'health_status 200',
  // Passive checks: a failed request (refused or broken connection) takes the instance out until it has been up for a while.
  'fail_duration 5s',
  'max_fails 1',
  // No flush_interval: request bodies (uploads) stream through by default; a response without a
  // length (chunked, event streams) is flushed at each write anyway, and a sized one (downloads)
  // in buffer-sized pieces, which saves a flush per write on small answers.
];

/** A service's two proxies: writes go once; reads (WebSocket upgrades included) are retried on another instance. */
function proxiesOf(service: ServiceName): string[] {
  const upstreams = `{$${upstreamsVariable(service)}}`;
  return [
    `@${service}_writes not method ${RETRIED_METHODS.join(' ')}`,
    ...block(`reverse_proxy @${service}_writes ${upstreams}`, BALANCING),
    ...block(`reverse_proxy ${upstreams}`, [
      ...BALANCING,
      // A refused connection or a failure mid-request: another instance, for up to 5 s.
      'lb_try_duration 5s',
      'lb_try_interval 100ms',
      ...block('lb_retry_match', [`method ${RETRIED_METHODS.join(' ')}`]),
    ]),
  ];
}

/** A service's handle; the fallback service's has no matcher, so it also gets every path no prefix matches. */
function handleOf(service: ServiceName): string[] {
  if (service === FALLBACK_SERVICE) {
    return [
      `# ${service}: its own prefixes and every path no prefix matches (the root redirect, 404s).`,
      ...block('handle', proxiesOf(service)),
    ];
  }
  return [...matcherOf(service), ...block(`handle @${service}`, proxiesOf(service)), ''];
}

/** The whole Caddyfile. */
export function renderCaddyfile(): string {
  const routed = SERVICES.filter((s) => s !== FALLBACK_SERVICE);
  const site = [
    '# The gateway answers its own probes; each service has its own /health/* for the orchestrator.',
    'handle /health/live {',
    `${TAB}respond \`{"status":"ok"}\` 200`,
    '}',
    'handle /health/ready {',
    `${TAB}respond \`{"status":"ok"}\` 200`,
    '}',
    '',
    '# The all-in-one OpenAPI document and Swagger UI, exported by `npm run build`.',
    '@site path /openapi.json /docs /docs/*',
    'handle @site {',
    `${TAB}root * {$GATEWAY_SITE:/srv/gateway}`,
    `${TAB}file_server`,
    '}',
    '',
    ...routed.flatMap(handleOf),
    ...handleOf(FALLBACK_SERVICE),
  ];
  const lines = [
    '# Generated from ROUTES in src/deployments.ts by `npm run gateway:config -- --write`. Do not edit.',
    '# Environment: PORT (default 3000), IDENTITY_UPSTREAMS, COMMERCE_UPSTREAMS, REALTIME_UPSTREAMS',
    '# (space-separated host:port), GATEWAY_SITE (default /srv/gateway).',
    '{',
    `${TAB}admin off`,
    `${TAB}auto_https off`,
    '}',
    '',
    ':{$PORT:3000} {',
    ...indent(site),
    '}',
    '',
  ];
  return lines.join('\n');
}
