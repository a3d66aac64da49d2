/**
 * `npm run start:split`: the split on this machine. Caddy on PORT (default 3000) in front of
 * 2 × identity, 2 × commerce, 2 × realtime and a worker, all on loopback, against DATABASE_URL,
 * REDIS_URL and NATS_URL from the environment. Ctrl-C (or SIGTERM) stops everything gracefully.
 */
import { startSplit } from './split/topology.js';

const port = process.env.PORT ? Number(process.env.PORT) : 3000;
const { PORT: _ignored, ...env } = process.env;

const abort = new AbortController();
const started = startSplit({ env, port, replicas: { identity: 2, commerce: 2, realtime: 2, worker: 1 }, signal: abort.signal });

async function shutdown(signal: NodeJS.Signals) {
  if (abort.signal.aborted) return;
  console.log(`split | ${signal}: stopping every instance, then the gateway`);
  abort.abort();
  // Aborting stops it; once started, stop() waits for that same shutdown to finish.
  await started.then((split) => split.stop()).catch(() => {});
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  const split = await started;
  console.log(`split | the API is at ${split.url} (docs at ${split.url}/docs/); Ctrl-C stops it`);
} catch (err) {
  if (!abort.signal.aborted) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
