/**
 * Loads demo data: opens the platform from the environment exactly as the server does (same
 * DATA_DIR or DATABASE_URL, migrations applied), then runs the optional `seed()` of every module
 * of the chosen DEPLOYMENT, in the deployment's order. Each seed is idempotent, so running this
 * twice is harmless. With the embedded database the server must be stopped first: the data
 * folder is locked while a process uses it.
 *
 * Usage: npm run seed            (DEPLOYMENT=all-in-one by default)
 */
import { DEPLOYMENTS, type DeploymentName } from '../src/deployments.js';
import { EVENT_SCHEMAS } from '../src/events.js';
import { ConfigError } from '../src/platform/config.js';
import { DataDirLockedError } from '../src/platform/db/lock.js';
import { createLogger } from '../src/platform/log.js';
import { closePlatform, openPlatform, type Platform } from '../src/platform/platform.js';
import { type AppConfig, loadAppConfig } from '../src/settings.js';

async function seed(): Promise<number> {
  let config: AppConfig;
  try {
    config = loadAppConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${err.message}\nSee .env.example.`);
      return 78;
    }
    throw err;
  }
  const deployment = config.DEPLOYMENT as DeploymentName;
  const modules = DEPLOYMENTS[deployment]?.modules;
  if (!modules) {
    console.error(`DEPLOYMENT must be one of ${Object.keys(DEPLOYMENTS).join(', ')}, got '${deployment}'`);
    return 78;
  }

  const log = createLogger(config.LOG_LEVEL);
  let platform: Platform;
  try {
    platform = await openPlatform(config, log, { events: EVENT_SCHEMAS });
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      console.error(`${err.message}\nStop the server, then seed again.`);
      return 75;
    }
    throw err;
  }

  const target = config.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `the embedded database in ${config.DATA_DIR}`;
  console.log(`Seeding deployment '${deployment}' into ${target}`);
  let failed = 0;
  try {
    for (const factory of modules) {
      const module = factory(platform);
      if (!module.seed) {
        console.log(`  ${module.name}: no demo data`);
        continue;
      }
      const started = Date.now();
      try {
        await module.seed();
        console.log(`  ${module.name}: seeded (${Date.now() - started} ms)`);
      } catch (err) {
        failed++;
        console.error(`  ${module.name}: FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }
  } finally {
    await closePlatform(platform);
  }
  console.log(failed ? `Seed finished with ${failed} failing module(s)` : 'Seed finished');
  return failed ? 1 : 0;
}

seed().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`Seed failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
