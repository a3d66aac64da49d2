/**
 * Entry point: config -> platform -> app -> listen, with graceful shutdown on SIGTERM/SIGINT.
 * Configuration errors and a locked data folder end the process with a clear message.
 */
import { buildApp } from './app.js';
import { DEPLOYMENTS, type DeploymentName } from './deployments.js';
import { EVENT_SCHEMAS } from './events.js';
import { ConfigError } from './platform/config.js';
import { DataDirLockedError } from './platform/db/lock.js';
import { createLogger } from './platform/log.js';
import { closePlatform, openPlatform } from './platform/platform.js';
import { installGracefulShutdown } from './platform/shutdown.js';
import { startTracing, tracingOn } from './platform/tracing/tracing.js';
import { type AppConfig, loadAppConfig } from './settings.js';

async function main() {
  let config: AppConfig;
  try {
    config = loadAppConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example and the configuration table in README.md.\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  // Before the logger and the app: both look at whether tracing is on once, when they are made.
  const tracing = await startTracing(config);
  const log = createLogger(config.LOG_LEVEL, undefined, config.LOG_FORMAT, { traceIds: tracingOn() });
  const deployment = config.DEPLOYMENT as DeploymentName;
  const deployable = DEPLOYMENTS[deployment];
  if (!deployable) {
    process.stderr.write(`DEPLOYMENT must be one of ${Object.keys(DEPLOYMENTS).join(', ')}, got '${deployment}'\n`);
    process.exit(78);
  }

  let platform: Awaited<ReturnType<typeof openPlatform>>;
  try {
    platform = await openPlatform(config, log, { events: EVENT_SCHEMAS });
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(75); // EX_TEMPFAIL
    }
    throw err;
  }
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  try {
    app = await buildApp(platform, deployable.modules, deployable);
    await app.http.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    // Close the embedded database cleanly and release the data folder before exiting.
    await app?.http.close().catch(() => {});
    await closePlatform(platform).catch(() => {});
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      process.stderr.write(`Cannot listen on ${config.HOST}:${config.PORT} (${code}): set PORT or HOST to a free address.\n`);
      process.exit(1);
    }
    throw err;
  }
  const running = app;
  installGracefulShutdown(
    {
      drain: running.drain,
      closeServer: () => running.http.close(),
      forceCloseConnections: () => running.http.server.closeAllConnections(),
      // The spans of the last requests leave after everything else has stopped.
      closePlatform: () => closePlatform(platform).finally(() => tracing.shutdown()),
    },
    { timeoutMs: config.SHUTDOWN_TIMEOUT, delayMs: config.SHUTDOWN_DELAY, log },
  );
  // PORT=0 picks a free port: report the one actually bound.
  const address = running.http.server.address();
  const port = address && typeof address === 'object' ? address.port : config.PORT;
  log.info(
    {
      deployment,
      database: platform.database.engine,
      cache: platform.redis ? 'redis' : 'memory',
      port,
      metricsPort: running.metricsPort,
      // From the process's start: what a restart costs (scripts/start-time.ts reads it).
      startedInMs: Math.round(process.uptime() * 1000),
    },
    `Zaplecze is ready: API docs at http://localhost:${port}/docs`,
  );
  // After it listens, so compiling what no request has needed yet does not delay being ready.
  running.compileSchemas().catch((err: Error) => log.error({ err }, 'route schemas do not compile: their routes answer 500'));
}

main().catch((err) => {
  process.stderr.write(`Zaplecze failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
