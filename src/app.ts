/**
 * Builds the HTTP application: platform plugins first, in a visible order, then the modules
 * of the chosen deployment under /api/v1. No autoloading: what runs is what is listed here.
 */
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { installAccessControl } from './platform/http/access.js';
import { installAccessLog } from './platform/http/access-log.js';
import { API_PREFIX } from './platform/http/api-prefix.js';
import { installHealth } from './platform/http/health.js';
import { defaultSerializerBuilder, lazySchemas } from './platform/http/lazy-schemas.js';
import { lengthGatedValidatorCompiler } from './platform/http/length-gated-patterns.js';
import { installNulByteGuard } from './platform/http/nul-bytes.js';
import { installOpenApi } from './platform/http/openapi.js';
import { clientErrorHandler, frameworkErrors, installProblemDetails } from './platform/http/problem-details.js';
import { installRateLimit } from './platform/http/rate-limit.js';
import { installRequestIdEcho, requestIdFrom } from './platform/http/request-id.js';
import { installSecurity } from './platform/http/security.js';
import { installStrictNumbers } from './platform/http/strict-numbers.js';
import { trustProxyOption } from './platform/http/trust-proxy.js';
import { installWebApp, WEB_APP_PATH, WEB_APP_ROOT } from './platform/http/web-app.js';
import { startJobs } from './platform/jobs.js';
import { installHttpMetrics } from './platform/metrics/http-metrics.js';
import { type MetricsServer, startMetricsServer } from './platform/metrics/metrics-server.js';
import type { AppModule, ModuleFactory, Platform } from './platform/platform.js';
import { installHttpSpans } from './platform/tracing/http-spans.js';
import { tracingOn } from './platform/tracing/tracing.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** A running app with a way to tell readiness probes that shutdown has begun. */
export interface App {
  readonly http: FastifyInstance;
  /** Marks the app as draining: /health/ready answers 503 so balancers stop sending traffic. */
  drain(): void;
  /** `METHOD /path` of every route served, for the route-ownership check of the split. */
  readonly routes: readonly string[];
  /** The port the metrics listener bound (METRICS_PORT=0 picks one); undefined when metrics are off. */
  readonly metricsPort: number | undefined;
  /**
   * Route schemas compile on their first use (platform/http/lazy-schemas.ts). This compiles the
   * rest, one per event-loop turn so requests are served in between; main.ts calls it once the
   * server listens. Settles early when the app closes; rejects naming the schemas that do not compile.
   */
  compileSchemas(): Promise<void>;
}

export interface BuildOptions {
  /** Serve the modules' routes (default); false: only /health/* (the worker). */
  routes?: boolean;
  /** Run the modules' jobs and event consumers (default); false: a service that only serves routes. */
  background?: boolean;
  /** Serve the web client and the root redirect (default, with the routes); false in the services that do not own `/`. */
  home?: boolean;
  webRoot?: string;
}

/** Builds (but does not start listening) the app for `modules`. Runs each module's `start`. */
export async function buildApp(platform: Platform, modules: readonly ModuleFactory[], options: BuildOptions = {}): Promise<App> {
  const serveRoutes = options.routes ?? true;
  const background = options.background ?? true;
  const { config } = platform;
  const schemas = lazySchemas({ buildValidator: lengthGatedValidatorCompiler(), buildSerializer: defaultSerializerBuilder() });
  const http: FastifyInstance = Fastify({
    loggerInstance: platform.log as FastifyBaseLogger,
    genReqId: requestIdFrom,
    // One access-log line per request, written by installAccessLog.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.BODY_LIMIT,
    // proxy-addr takes a hop count too; Fastify's types omit it.
    trustProxy: trustProxyOption(config.TRUST_PROXY as boolean | number | string, platform.log) as boolean | string,
    // Fail fast on slow-loris clients; large uploads stream and are bounded by their own limits.
    requestTimeout: 120_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
    // Patterns run only within their length bound (no regex over a megabyte that is too long anyway);
    // schemas compile when first needed, the rest after start (lazy-schemas.ts).
    schemaController: { compilersFactory: schemas.compilersFactory },
    routerOptions: { ignoreTrailingSlash: true },
    // Every answer is a problem document, also those Fastify and Node give before any route runs.
    frameworkErrors,
    clientErrorHandler,
  });

  // The API speaks JSON: without this, Fastify's built-in text/plain parser hands a string to
  // JSON routes and the client gets a confusing 400 instead of 415. A route that needs another
  // media type (webhooks, uploads) adds its own parser in its plugin.
  http.removeContentTypeParser('text/plain');
  const routes: string[] = [];
  http.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push(`${method} ${route.url}`);
  });

  const instances = modules.map((factory) => factory(platform));
  let draining = false;

  // Before every other request hook, so the span covers requests refused early too.
  const traced = tracingOn();
  if (traced) installHttpSpans(http);
  installProblemDetails(http);
  installRequestIdEcho(http);
  installAccessLog(http, { traced });
  // First of the request hooks, so requests refused early (rate limit, access guard) are measured too.
  if (platform.metrics.enabled) installHttpMetrics(http, platform.metrics);
  await installSecurity(http, {
    corsOrigins: config.CORS_ORIGINS,
    publicUrl: config.PUBLIC_URL,
    corsHeaders: instances.flatMap((m) => (m.corsHeaders ? [m.corsHeaders] : [])),
  });
  await installRateLimit(http, {
    max: config.RATE_LIMIT_MAX,
    windowMs: config.RATE_LIMIT_WINDOW,
    redis: platform.redis,
    keyPrefix: config.REDIS_KEY_PREFIX,
  });
  installAccessControl(http, {
    tokens: platform.tokens,
    sessionGates: instances.flatMap((m) => (m.sessionGate ? [m.sessionGate] : [])),
    protectedPrefix: '/api/',
  });
  installStrictNumbers(http);
  installNulByteGuard(http);
  if (serveRoutes) await installModuleRoutes(http, instances, options.home === false ? undefined : (options.webRoot ?? WEB_APP_ROOT));
  installHealth(http, {
    checks: { database: () => platform.database.ping(), bus: () => platform.bus.check() },
    isDraining: () => draining,
  });
  for (const module of instances) await module.start?.();
  const unsubscribes = background ? instances.flatMap((m) => m.subscribe?.() ?? []) : [];
  await platform.bus.ready();
  platform.relay.start();
  const jobs = startJobs(background ? instances.flatMap((m) => m.jobs ?? []) : [], platform.log);
  let metricsServer: MetricsServer | undefined;
  const compiling = new AbortController();
  http.addHook('onClose', async () => {
    compiling.abort();
    await metricsServer?.close();
    await jobs.stop();
    for (const unsubscribe of unsubscribes) unsubscribe();
    for (const module of [...instances].reverse()) await module.stop?.();
  });

  await http.ready();
  if (platform.metricsRegistry) {
    const options = { host: config.METRICS_HOST, port: config.METRICS_PORT ?? 0 };
    metricsServer = await startMetricsServer(platform.metricsRegistry, options).catch(async (err) => {
      await http.close();
      throw err;
    });
  }
  return {
    http,
    drain: () => {
      draining = true;
    },
    routes,
    metricsPort: metricsServer?.port,
    compileSchemas: () => schemas.compileAll(compiling.signal),
  };
}

/** The API and its documentation; with `webRoot`, also the web client and the root redirect. */
async function installModuleRoutes(http: FastifyInstance, instances: readonly AppModule[], webRoot: string | undefined) {
  await installOpenApi(http, {
    version: pkg.version,
    description: [
      'Accounts and roles, catalog, todos, files, shop, chat and weather. Errors are RFC 9457 problem details. ' +
        'The chat WebSocket protocol is described in AsyncAPI 3 at [/asyncapi.json](/asyncapi.json).',
      ...instances.flatMap((m) => (m.openApiNote ? [m.openApiNote] : [])),
    ].join('\n\n'),
  });
  if (webRoot !== undefined) {
    // A person opening the server in a browser lands on the web client, or on the API
    // documentation when the client has not been built (npm run build).
    const hasWebApp = await installWebApp(http, { root: webRoot });
    const home = hasWebApp ? WEB_APP_PATH : '/docs';
    http.get('/', { schema: { hide: true }, config: { access: 'public' } }, (_request, reply) => reply.redirect(home, 302));
  }
  for (const module of instances) {
    await http.register(module.routes, { prefix: API_PREFIX });
    if (module.rootRoutes) await http.register(module.rootRoutes);
  }
}
