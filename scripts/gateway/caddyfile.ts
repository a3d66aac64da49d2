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
 * POST routes that may be sent again to another instance after the first one failed mid-request,
 * because the service replays the first answer for the same Idempotency-Key. Only with the header:
 * without it a retry could create a second order. A test checks this list against the routes that
 * declare the header in the OpenAPI document.
 */
export const IDEMPOTENT_POSTS: readonly string[] = ['/api/v1/orders'];

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
  return [
    `@${service} {`,
    `${TAB}path ${pathPatterns(own)}`,
    ...(carvedOut.length ? [`${TAB}not path ${pathPatterns(carvedOut)}`] : []),
    '}',
  ];
}

function proxyTo(service: ServiceName): string[] {
  const retryMatch = [
    // Dial failures are always retried; these requests also after the upstream failed mid-way.
    'lb_retry_match {',
    `${TAB}method GET HEAD OPTIONS`,
    '}',
    ...(service === 'commerce'
      ? IDEMPOTENT_POSTS.flatMap((path) => [
          'lb_retry_match {',
          `${TAB}method POST`,
          `${TAB}path ${path}`,
          `${TAB}header Idempotency-Key *`,
          '}',
        ])
      : []),
  ];
  return [
    `reverse_proxy {$${upstreamsVariable(service)}} {`,
    ...[
      'lb_policy least_conn',
      // A dead instance (SIGKILL, restart) costs a retry on another one, not an error.
      'lb_try_duration 5s',
      'lb_try_interval 100ms',
      ...retryMatch,
      // Active checks: a draining instance (SIGTERM, SHUTDOWN_DELAY) answers 503 and leaves the rotation.
      'health_uri /health/ready',
      'health_interval 1s',
      'health_timeout 2s',
      'health_status 200',
      // Passive checks: failed requests take an instance out between two active checks.
      'fail_duration 5s',
      'max_fails 1',
      // Uploads (tus, multipart) and downloads stream through; the services bound their sizes.
      'flush_interval -1',
    ],
    '}',
  ].flatMap((line, i, all) => (i === 0 || i === all.length - 1 ? [line] : [`${TAB}${line}`]));
}

function indent(lines: readonly string[], depth = 1): string[] {
  return lines.map((line) => (line ? `${TAB.repeat(depth)}${line}` : line));
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
    ...routed.flatMap((service) => [...matcherOf(service), `handle @${service} {`, ...indent(proxyTo(service)), '}', '']),
    `# ${FALLBACK_SERVICE}: its own prefixes and every path no prefix matches (the root redirect, 404s).`,
    'handle {',
    ...indent(proxyTo(FALLBACK_SERVICE)),
    '}',
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
