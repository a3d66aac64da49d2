import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fetchJson, withServers } from './lib/bench.js';
import { median } from './lib/compare.js';
import { runPinnedScript } from './lib/load.js';
import { CORES, PINNING, type ServerProcess, startServer } from './lib/processes.js';
import { RESULTS_DIR } from './lib/report.js';
import { buildZaplecze, databaseNote, ROOT, startZaplecze } from './lib/zaplecze.js';

const GOALS = { throughputRatio: 0.7, p99Ms: 50, rssRatio: 2 };
const SUBPROTOCOL = 'zaplecze.chat.v1';
const WORKER = fileURLToPath(new URL('./lib/chat-load.mjs', import.meta.url));

interface LoadOutcome {
  receivers: number;
  connectionsOpen: number;
  closedByServer: number;
  closeCodes: Record<string, number>;
  connectMs: number;
  rssPerConnectionKb: number;
  rssPerSubscribedConnectionKb: number;
  deliveriesPerSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  loadCpuShare: number;
  serverCpuShare: number;
}

interface Side {
  name: string;
  server: ServerProcess;
  url: string;
  room?: string;
  receiverProtocols: string[][];
  senderProtocols: string[];
}

function runLoad(side: Side, spec: Record<string, unknown>): Promise<LoadOutcome> {
  const payload = {
    kind: side.name === 'raw ws' ? 'raw' : 'zaplecze',
    url: side.url,
    serverPid: side.server.pid,
    room: side.room,
    receiverProtocols: side.receiverProtocols,
    senderProtocols: side.senderProtocols,
    textBytes: 100,
    ...spec,
  };
  // A thousand tokens exceed the argument size limit: the spec goes through stdin.
  return runPinnedScript<LoadOutcome>(CORES.load, WORKER, payload, { viaStdin: true });
}

/** Registers and logs in `count` users, a few at a time; returns their ids and access tokens. */
async function createUsers(base: string, count: number, tag: string) {
  const users: { id: string; token: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const email = `chat-bench-${tag}-${i}@bench.local`;
      const password = 'a-perfectly-fine-bench-passphrase';
      await fetchJson(`${base}/api/v1/auth/register`, { method: 'POST', body: { email, password, name: `Bench ${i}` }, expect: 202 });
      const { body } = await fetchJson(`${base}/api/v1/auth/login`, { method: 'POST', body: { email, password }, expect: 200 });
      const login = body as { accessToken: string; user: { id: string } };
      users[i] = { id: login.user.id, token: login.accessToken };
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return users;
}

async function main() {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '1000' },
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      window: { type: 'string', default: '200' },
      'no-build': { type: 'boolean', default: false },
    },
  });
  const clients = Number(values.clients);
  const rounds = Number(values.rounds);
  const timing = { warmupS: Number(values.warmup), durationS: Number(values.duration) };
  await buildZaplecze({ skip: values['no-build'] });

  // One data folder for two server processes: the first creates the accounts (argon2 and its
  // garbage), the second starts fresh on it, so its RSS before and after the sockets is comparable.
  const dataDir = await mkdtemp(join(tmpdir(), 'zaplecze-chat-bench-'));
  const env = { CHAT_RATE_LIMIT: '1000000', DATA_DIR: join(dataDir, 'data') };
  await withServers(async (track) => {
    let zaplecze = track(await startZaplecze(env));

    process.stderr.write(`creating ${clients + 1} users (argon2 on the server core takes a while)\n`);
    const [sender, ...members] = await createUsers(zaplecze.url, clients + 1, String(Date.now()));
    if (!sender) throw new Error('no sender');
    const auth = { authorization: `Bearer ${sender.token}` };
    const { body: room } = await fetchJson(`${zaplecze.url}/api/v1/chat/rooms`, {
      method: 'POST',
      headers: auth,
      body: { kind: 'private', name: 'bench' },
      expect: 201,
    });
    const roomId = (room as { id: string }).id;
    for (const m of members) {
      await fetchJson(`${zaplecze.url}/api/v1/chat/rooms/${roomId}/members`, {
        method: 'POST',
        headers: auth,
        body: { userId: m.id },
        expect: 204,
      });
    }

    await zaplecze.stop();
    zaplecze = track(await startZaplecze(env));
    const raw = track(
      await startServer({
        name: 'raw ws',
        argv: [process.execPath, 'bench/baselines/raw-ws-broadcast.mjs'],
        cwd: ROOT,
        readyPath: '/health/live',
      }),
    );

    const wsUrl = (url: string, path: string) => `${url.replace(/^http/, 'ws')}${path}`;
    const sides: Side[] = [
      {
        name: 'zaplecze',
        server: zaplecze,
        url: wsUrl(zaplecze.url, '/api/v1/chat/ws'),
        room: roomId,
        receiverProtocols: members.map((m) => [SUBPROTOCOL, `bearer.${m.token}`]),
        senderProtocols: [SUBPROTOCOL, `bearer.${sender.token}`],
      },
      { name: 'raw ws', server: raw, url: wsUrl(raw.url, '/ws'), receiverProtocols: members.map(() => []), senderProtocols: [] },
    ];
    const [z, r] = sides as [Side, Side];

    const runs: { side: string; phase: string; round: number; outcome: LoadOutcome }[] = [];
    const measure = async (phase: string, spec: Record<string, unknown>) => {
      for (let round = 1; round <= rounds; round++) {
        // Alternate who goes first, so drift over time does not favour one side.
        for (const side of round % 2 ? [r, z] : [z, r]) {
          process.stderr.write(`${phase} round ${round}: ${side.name}\n`);
          const offset = (runs.length + 1) * 10_000_000;
          runs.push({ side: side.name, phase, round, outcome: await runLoad(side, { ...timing, ...spec, offset }) });
        }
      }
    };
    const of = (side: string, phase: string) => runs.filter((x) => x.side === side && x.phase === phase).map((x) => x.outcome);

    await measure('max', { mode: 'max', window: Number(values.window) });
    const rawMaxMsgs = median(of('raw ws', 'max').map((o) => o.deliveriesPerSec / o.receivers));
    const halfRate = Math.max(1, Math.floor(rawMaxMsgs / 2));
    await measure('half', { mode: 'paced', rate: halfRate });

    const summary = (side: string) => ({
      deliveriesPerSec: median(of(side, 'max').map((o) => o.deliveriesPerSec)),
      maxP99Ms: median(of(side, 'max').map((o) => o.p99Ms ?? Number.NaN)),
      halfP50Ms: median(of(side, 'half').map((o) => o.p50Ms ?? Number.NaN)),
      halfP99Ms: median(of(side, 'half').map((o) => o.p99Ms ?? Number.NaN)),
      // The first run meets a fresh process; later ones see heaps grown and shrunk by earlier load.
      rssPerConnectionKb: runs.find((x) => x.side === side)?.outcome.rssPerConnectionKb ?? Number.NaN,
      rssPerSubscribedConnectionKb: runs.find((x) => x.side === side)?.outcome.rssPerSubscribedConnectionKb ?? Number.NaN,
      serverCpuShare: median(of(side, 'max').map((o) => o.serverCpuShare)),
      loadCpuShare: median(of(side, 'max').map((o) => o.loadCpuShare)),
      closedByServer: runs.filter((x) => x.side === side).reduce((n, x) => n + x.outcome.closedByServer, 0),
      connectMs: median(runs.filter((x) => x.side === side).map((x) => x.outcome.connectMs)),
    });
    const zs = summary('zaplecze');
    const rs = summary('raw ws');
    const throughputRatio = zs.deliveriesPerSec / rs.deliveriesPerSec;
    const rssRatio = zs.rssPerConnectionKb / rs.rssPerConnectionKb;
    const results = {
      name: 'chat',
      when: new Date().toISOString(),
      clients,
      rounds,
      timing,
      window: Number(values.window),
      halfRateMsgsPerSec: halfRate,
      zaplecze: zs,
      raw: rs,
      throughputRatio,
      rssRatio,
      goals: GOALS,
      pass: {
        throughput: throughputRatio >= GOALS.throughputRatio,
        p99: zs.halfP99Ms <= GOALS.p99Ms,
        rss: rssRatio <= GOALS.rssRatio,
      },
      notes: [
        databaseNote(),
        PINNING ? `server on core ${CORES.server}, load on core ${CORES.load}` : 'not pinned',
        `loadavg ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
      ],
      runs,
    };
    const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
    console.log(`\nchat fan-out: 1 sender -> ${clients} authenticated clients in one room, 100-byte messages, ${rounds} rounds`);
    console.log(
      `  delivered msgs/s (max)   zaplecze ${f(zs.deliveriesPerSec, 0)}  raw ${f(rs.deliveriesPerSec, 0)}  ratio ${f(throughputRatio, 2)} (goal >= ${GOALS.throughputRatio})`,
    );
    console.log(
      `  p99 at ${halfRate} msgs/s     zaplecze ${f(zs.halfP99Ms)} ms (p50 ${f(zs.halfP50Ms)})  raw ${f(rs.halfP99Ms)} ms (p50 ${f(rs.halfP50Ms)})  (goal <= ${GOALS.p99Ms} ms)`,
    );
    console.log(
      `  RSS per idle connection  zaplecze ${f(zs.rssPerConnectionKb)} KiB  raw ${f(rs.rssPerConnectionKb)} KiB  ratio ${f(rssRatio, 2)} (goal <= ${GOALS.rssRatio})`,
    );
    console.log(
      `  server CPU share at max  zaplecze ${f(zs.serverCpuShare, 2)}  raw ${f(rs.serverCpuShare, 2)}; load generator ${f(zs.loadCpuShare, 2)} / ${f(rs.loadCpuShare, 2)}`,
    );
    console.log(`  sockets closed by the server: zaplecze ${zs.closedByServer}, raw ${rs.closedByServer}; ${results.notes.join('; ')}`);
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(join(RESULTS_DIR, 'chat.json'), `${JSON.stringify(results, null, 2)}\n`);
  }).finally(() => rm(dataDir, { recursive: true, force: true }));
}

main().catch((err) => {
  console.error(err instanceof Error ? `${err.stack}${err.cause ? `\ncause: ${String(err.cause)}` : ''}` : err);
  process.exitCode = 1;
});
