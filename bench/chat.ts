/**
 * chat: fan-out of one sender's messages to N authenticated WebSocket clients in one room,
 * through the compiled Zaplecze server, against a raw `ws` server that forwards every frame to
 * every other socket (baselines/raw-ws-broadcast.mjs). The same sockets and messages on both
 * sides, from a load generator of several processes (lib/chat-load-group.ts) on the load core.
 *
 * Per run: delivered messages/s with up to --window messages in flight (`max`), delivery
 * latency at a fixed rate of half the raw maximum (`half`), the server's RSS growth per
 * connection (idle, the goal; and subscribed), and the CPU of the server, of each load process
 * and of the load core(s). Rounds are interleaved and alternate their order.
 * Goals (issue #17): >= 0.8 of raw messages/s; p99 <= 50 ms at half the raw maximum; RSS <= 2x raw.
 *
 *   npm run bench -- chat [--rounds 3] [--connections 1000] [--window 200] [--load-processes 4] [--no-build]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchTableRow } from '../scripts/bench-table.js';
import { type Bench, fetchJson, positiveFlag, withServers } from './lib/bench.js';
import { type ChatLoadOutcome, runChatLoad } from './lib/chat-load-group.js';
import { machineInfo, machineLoad, median } from './lib/compare.js';
import { CORES, PINNING, type ServerProcess, startServer } from './lib/processes.js';
import { printReport, type Report, type RoundRow, writeReport } from './lib/report.js';
import { buildZaplecze, databaseNote, ROOT, startZaplecze } from './lib/zaplecze.js';

const GOALS = { throughputRatio: 0.8, p99Ms: 50, rssRatio: 2 };
const SUBPROTOCOL = 'zaplecze.chat.v1';
const TEXT_BYTES = 100;
const DEFAULTS = { clients: 1000, window: 200, loadProcesses: 4 };
/** A smoke run: enough sockets to spread over two receiving processes, for a second. */
const SMOKE = { clients: 20, loadProcesses: 2, settleMs: 200 };
/** How long the RSS must stay without a new low before each reading of a side's first run (V8's memory reducer runs about 8 s after the work). */
const RSS_SETTLE_MS = 12_000;
/** Above this the load core was nearly full: the generator may bound throughput and add latency. */
const LOAD_CORE_FULL = 0.9;

type SideName = 'zaplecze' | 'raw ws';
type Phase = 'max' | 'half';

interface Side {
  name: SideName;
  server: ServerProcess;
  url: string;
  room?: string;
  receiverProtocols: string[][];
  senderProtocols: string[];
}

interface Run {
  side: SideName;
  phase: Phase;
  round: number;
  windowUs: [number, number];
  outcome: ChatLoadOutcome;
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

/** What a run did wrong as the protocol goes: lost, reordered or duplicated messages, closed sockets, a mangled frame. */
function problemsOf(run: Run): string[] {
  const o = run.outcome;
  const at = `${run.phase} round ${run.round} ${run.side}`;
  const problems: string[] = [];
  if (!o.sentMeasured || !o.deliveriesPerSec) problems.push(`${at}: nothing was delivered`);
  if (o.missing) {
    problems.push(
      `${at}: ${o.missing} of ${o.sentMeasured * o.receivers} deliveries never arrived (${o.socketsBehind} sockets still behind, by up to ${o.furthestBehind} messages)`,
    );
  }
  if (o.outOfOrder) problems.push(`${at}: ${o.outOfOrder} messages arrived out of order or twice`);
  if (o.closedByServer || o.connectionsOpen !== o.receivers) {
    problems.push(
      `${at}: the server closed ${o.closedByServer} sockets ${JSON.stringify(o.closeCodes)}; ${o.connectionsOpen} of ${o.receivers} open`,
    );
  }
  if (!o.echo.ok) problems.push(`${at}: the probe's frame does not carry the text and clientId sent: ${o.echo.frame}`);
  return problems;
}

const f = (n: number | null, digits = 1) => (n !== null && Number.isFinite(n) ? n.toFixed(digits) : '-');
const pct = (share: number) => (Number.isFinite(share) ? `${Math.round(share * 100)} %` : '-');
const perSec = (n: number) => `${Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-'} msgs/s`;
const ms = (n: number) => (Number.isFinite(n) ? `${n >= 100 ? Math.round(n) : n.toFixed(1)} ms` : '-');

export const chatBench: Bench = {
  name: 'chat',
  description: `chat fan-out, 1 sender to 1,000 sockets: messages/s vs a raw ws broadcast (>= ${GOALS.throughputRatio}), p99 at half the raw maximum (<= ${GOALS.p99Ms} ms), RSS per socket (<= ${GOALS.rssRatio}x)`,
  flags: {
    window: { description: `messages in flight in the max phase (default ${DEFAULTS.window})` },
    'load-processes': {
      description: `processes holding the receiving sockets, plus one for the sender (default ${DEFAULTS.loadProcesses}; ${SMOKE.loadProcesses} in --smoke)`,
    },
  },
  async run(options) {
    // --connections is the number of receiving sockets here.
    const clients = options.smoke ? SMOKE.clients : (options.connections ?? DEFAULTS.clients);
    const window = positiveFlag(options, 'window', DEFAULTS.window);
    const processes = options.smoke ? SMOKE.loadProcesses : positiveFlag(options, 'load-processes', DEFAULTS.loadProcesses);
    const settleMs = options.smoke ? SMOKE.settleMs : 2000;
    const timing = { warmupS: options.warmupS ?? 3, durationS: options.durationS ?? 10 };
    await buildZaplecze({ skip: options.skipBuild });
    const loadBefore = machineLoad();
    const t0 = performance.now();
    const phase = (what: string) => process.stderr.write(`  ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);

    // One data folder for two server processes: the first creates the accounts (argon2 and its
    // garbage), the second starts fresh on it, so its RSS before and after the sockets is comparable.
    const dataDir = await mkdtemp(join(tmpdir(), 'zaplecze-chat-bench-'));
    const env = { CHAT_RATE_LIMIT: '1000000', DATA_DIR: join(dataDir, 'data') };
    try {
      const result = await withServers(async (track) => {
        let zaplecze = track(await startZaplecze(env));
        phase(`server up; creating ${clients + 1} users (argon2 on the server core takes a while)`);
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

        phase('users and room created');
        // A smoke run reports no RSS figure, so it keeps the first process (a start costs 10-50 s on a busy core).
        if (!options.smoke) {
          await zaplecze.stop();
          zaplecze = track(await startZaplecze(env));
        }
        const raw = track(
          await startServer({
            name: 'raw ws',
            argv: [process.execPath, 'bench/baselines/raw-ws-broadcast.mjs'],
            cwd: ROOT,
            readyPath: '/health/live',
          }),
        );

        phase('measured servers up');
        const wsUrl = (url: string, path: string) => `${url.replace(/^http/, 'ws')}${path}`;
        const z: Side = {
          name: 'zaplecze',
          server: zaplecze,
          url: wsUrl(zaplecze.url, '/api/v1/chat/ws'),
          room: roomId,
          receiverProtocols: members.map((m) => [SUBPROTOCOL, `bearer.${m.token}`]),
          senderProtocols: [SUBPROTOCOL, `bearer.${sender.token}`],
        };
        const r: Side = {
          name: 'raw ws',
          server: raw,
          url: wsUrl(raw.url, '/ws'),
          receiverProtocols: members.map(() => []),
          senderProtocols: [],
        };

        const runs: Run[] = [];
        const measure = async (phase: Phase, spec: { mode: 'max' | 'paced'; window?: number; rate?: number }) => {
          for (let round = 1; round <= options.rounds; round++) {
            // Alternate who goes first, so drift over time does not favour one side.
            for (const side of round % 2 ? [r, z] : [z, r]) {
              if (!options.smoke) process.stderr.write(`  ${phase} round ${round}/${options.rounds}: ${side.name}\n`);
              const started = Number(process.hrtime.bigint() / 1000n);
              const outcome = await runChatLoad({
                kind: side.name === 'raw ws' ? 'raw' : 'zaplecze',
                url: side.url,
                serverPid: side.server.pid,
                room: side.room,
                receiverProtocols: side.receiverProtocols,
                senderProtocols: side.senderProtocols,
                processes,
                textBytes: TEXT_BYTES,
                settleMs,
                // Only the first run of a side gives the RSS figures (a fresh process).
                ...(runs.some((x) => x.side === side.name) || options.smoke ? {} : { rssSettleMs: RSS_SETTLE_MS }),
                ...timing,
                ...spec,
                offset: (runs.length + 1) * 10_000_000,
              });
              runs.push({ side: side.name, phase, round, windowUs: [started, Number(process.hrtime.bigint() / 1000n)], outcome });
              if (!options.smoke) {
                process.stderr.write(
                  `    ${perSec(outcome.deliveriesPerSec)}  p99 ${ms(outcome.p99Ms ?? Number.NaN)}  server cpu ${pct(outcome.serverCpuShare)}  load core ${pct(outcome.loadCoresBusy)}\n`,
                );
              }
            }
          }
        };
        const rawMaxMsgs = async () => {
          await measure('max', { mode: 'max', window });
          return median(runs.filter((x) => x.side === 'raw ws').map((x) => x.outcome.deliveriesPerSec / x.outcome.receivers));
        };
        const halfRate = Math.max(1, Math.floor((await rawMaxMsgs()) / 2));
        phase('max phase done');
        await measure('half', { mode: 'paced', rate: halfRate });
        phase('half phase done');
        return { runs, halfRate };
      });
      return await summarise(result.runs, {
        clients,
        window,
        processes,
        halfRate: result.halfRate,
        rounds: options.rounds,
        smoke: options.smoke,
        loadBefore,
        timing,
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};

/** Medians per side and phase, the README rows, the checks; writes the results and prints them (or, smoke, that it ran). */
async function summarise(
  runs: Run[],
  run: {
    clients: number;
    window: number;
    processes: number;
    halfRate: number;
    rounds: number;
    smoke: boolean;
    loadBefore: string;
    timing: { warmupS: number; durationS: number };
  },
): Promise<Report> {
  const of = (side: SideName, phase: Phase) => runs.filter((x) => x.side === side && x.phase === phase).map((x) => x.outcome);
  const med = (side: SideName, phase: Phase, pick: (o: ChatLoadOutcome) => number | null) =>
    median(of(side, phase).map((o) => pick(o) ?? Number.NaN));
  const summary = (side: SideName) => {
    const first = runs.find((x) => x.side === side)?.outcome;
    return {
      deliveriesPerSec: med(side, 'max', (o) => o.deliveriesPerSec),
      deliveriesPerCpuS: med(side, 'max', (o) => o.deliveriesPerSec / o.serverCpuShare),
      maxP50Ms: med(side, 'max', (o) => o.p50Ms),
      maxP99Ms: med(side, 'max', (o) => o.p99Ms),
      halfP50Ms: med(side, 'half', (o) => o.p50Ms),
      halfP99Ms: med(side, 'half', (o) => o.p99Ms),
      // The first run meets a fresh process; later ones see heaps grown and shrunk by earlier load.
      rssPerConnectionKb: first?.rssPerConnectionKb ?? Number.NaN,
      rssPerSubscribedConnectionKb: first?.rssPerSubscribedConnectionKb ?? Number.NaN,
      serverCpuShare: { max: med(side, 'max', (o) => o.serverCpuShare), half: med(side, 'half', (o) => o.serverCpuShare) },
      loadCpuShare: { max: med(side, 'max', (o) => o.loadCpuShare), half: med(side, 'half', (o) => o.loadCpuShare) },
      loadCoresBusy: { max: med(side, 'max', (o) => o.loadCoresBusy), half: med(side, 'half', (o) => o.loadCoresBusy) },
      // Each load process's share of a core in the max phase, median over the rounds (the sender's process last).
      loadProcessesMax: (of(side, 'max')[0]?.processes ?? []).map((p, i) => ({
        ...p,
        cpuShare: median(of(side, 'max').map((o) => o.processes[i]?.cpuShare ?? Number.NaN)),
      })),
      connectMs: median(runs.filter((x) => x.side === side).map((x) => x.outcome.connectMs)),
    };
  };
  const zs = summary('zaplecze');
  const rs = summary('raw ws');
  const ratios = {
    throughput: zs.deliveriesPerSec / rs.deliveriesPerSec,
    throughputPerCpu: zs.deliveriesPerCpuS / rs.deliveriesPerCpuS,
    halfP99: zs.halfP99Ms / rs.halfP99Ms,
    rss: zs.rssPerConnectionKb / rs.rssPerConnectionKb,
  };
  const passes = {
    throughput: ratios.throughput >= GOALS.throughputRatio,
    p99: zs.halfP99Ms <= GOALS.p99Ms,
    rss: ratios.rss <= GOALS.rssRatio,
  };
  const loadCores = runs[0]?.outcome.loadCores ?? [];
  const coreNames = `load core${loadCores.length > 1 ? 's' : ''}`;

  const table: BenchTableRow[] = [
    {
      measure: `chat: delivered messages/s, 1 sender → ${run.clients.toLocaleString('en-US')} sockets in one room`,
      baseline: 'raw `ws` broadcast',
      zaplecze: `${perSec(zs.deliveriesPerSec)} (${coreNames} ${pct(zs.loadCoresBusy.max)} busy)`,
      baselineResult: `${perSec(rs.deliveriesPerSec)} (${coreNames} ${pct(rs.loadCoresBusy.max)} busy)`,
      ratio: ratios.throughput,
      goal: `≥ ${GOALS.throughputRatio}`,
      perCpu: ratios.throughputPerCpu,
    },
    {
      measure: `chat: p99 delivery at half the raw maximum (${run.halfRate.toLocaleString('en-US')} messages/s)`,
      baseline: 'raw `ws` broadcast',
      zaplecze: `${ms(zs.halfP99Ms)} (${coreNames} ${pct(zs.loadCoresBusy.half)} busy)`,
      baselineResult: `${ms(rs.halfP99Ms)} (${coreNames} ${pct(rs.loadCoresBusy.half)} busy)`,
      ratio: null,
      goal: `≤ ${GOALS.p99Ms} ms`,
      perCpu: null,
    },
    {
      measure: 'chat: server RSS per idle authenticated socket',
      baseline: 'raw `ws` broadcast',
      zaplecze: `${f(zs.rssPerConnectionKb)} KiB`,
      baselineResult: `${f(rs.rssPerConnectionKb)} KiB`,
      ratio: ratios.rss,
      goal: `≤ ${GOALS.rssRatio}`,
      perCpu: null,
    },
  ];

  const problems = runs.flatMap(problemsOf);
  const warnings = [...problems];
  for (const [name, s] of [
    ['zaplecze', zs],
    ['raw ws', rs],
  ] as const) {
    for (const phase of ['max', 'half'] as const) {
      if (s.loadCoresBusy[phase] > LOAD_CORE_FULL) {
        warnings.push(
          `${name}, ${phase} phase: ${coreNames} ${loadCores.join(',')} ${loadCores.length > 1 ? 'were' : 'was'} ${pct(s.loadCoresBusy[phase])} busy (the generator ${pct(s.loadCpuShare[phase])}): the load generator may bound the throughput and adds to the latency`,
        );
      }
    }
  }

  const roundRow = (x: Run): RoundRow => ({
    round: x.round,
    windowUs: x.windowUs,
    role: x.side === 'zaplecze' ? 'candidate' : 'baseline',
    side: x.side,
    reqPerSec: x.outcome.deliveriesPerSec,
    reqPerCpuS: x.outcome.deliveriesPerSec / x.outcome.serverCpuShare,
    p50Ms: x.outcome.p50Ms,
    p99Ms: x.outcome.p99Ms,
    serverCpuShare: x.outcome.serverCpuShare,
    loadCpuShare: x.outcome.loadCpuShare,
    non2xx: x.outcome.missing + x.outcome.outOfOrder,
    errors: x.outcome.closedByServer,
    status: { delivered: Math.round(x.outcome.deliveriesPerSec * run.timing.durationS), missing: x.outcome.missing },
  });
  const maxRuns = runs.filter((x) => x.phase === 'max');
  const sideSummary = (side: SideName, s: typeof zs) => ({
    name: side,
    reqPerSec: s.deliveriesPerSec,
    reqPerCpuS: s.deliveriesPerCpuS,
    p50Ms: s.maxP50Ms,
    p99Ms: s.maxP99Ms,
    serverCpuShare: s.serverCpuShare.max,
    loadCpuShare: s.loadCpuShare.max,
  });
  const load = {
    request: `ws message, 1 sender → ${run.clients} sockets, up to ${run.window} in flight`,
    connections: run.clients,
    ...run.timing,
  };
  const processes = (s: typeof zs) =>
    s.loadProcessesMax.map((p) => `${p.role === 'sender' ? 'sender + probe' : `${p.receivers} receivers`} ${pct(p.cpuShare)}`).join(', ');
  const report: Report = {
    name: 'chat',
    title: `chat fan-out, 1 sender → ${run.clients} authenticated sockets in one room, Zaplecze vs a raw ws broadcast`,
    unit: 'msgs/s',
    when: new Date().toISOString(),
    goal: GOALS.throughputRatio,
    ratio: ratios.throughput,
    pass: Object.values(passes).every(Boolean),
    pairedRatios: Array.from({ length: run.rounds }, (_, i) => {
      const a = maxRuns.find((x) => x.round === i + 1 && x.side === 'zaplecze');
      const b = maxRuns.find((x) => x.round === i + 1 && x.side === 'raw ws');
      return a && b ? a.outcome.deliveriesPerSec / b.outcome.deliveriesPerSec : Number.NaN;
    }),
    cpuRatio: ratios.throughputPerCpu,
    candidate: sideSummary('zaplecze', zs),
    baseline: sideSummary('raw ws', rs),
    load: { candidate: load, baseline: load },
    rounds: maxRuns.map(roundRow),
    notes: [
      `${TEXT_BYTES}-byte texts; max phase: up to ${run.window} messages sent and not yet received by a probe socket; half phase: ${run.halfRate} messages/s (half the raw median maximum)`,
      `load generator: ${run.processes} processes holding the receivers + 1 holding the sender and the probe, all on ${coreNames} ${loadCores.join(',')}; server on core ${CORES.server}${PINNING ? '' : ' (not pinned)'}`,
      `load CPU in the max phase, zaplecze: ${processes(zs)}; ${coreNames} ${pct(zs.loadCoresBusy.max)} busy`,
      `load CPU in the max phase, raw ws: ${processes(rs)}; ${coreNames} ${pct(rs.loadCoresBusy.max)} busy`,
      `half phase, ${coreNames} busy: zaplecze ${pct(zs.loadCoresBusy.half)}, raw ws ${pct(rs.loadCoresBusy.half)}; server cpu zaplecze ${pct(zs.serverCpuShare.half)}, raw ws ${pct(rs.serverCpuShare.half)}`,
      `zaplecze: CHAT_RATE_LIMIT=1000000; ${databaseNote()}; accounts made by a first server process, measured on a second started fresh on the same data`,
      'each run starts once the server is quiet (after the previous run closed its sockets and, on Zaplecze, after the presence work of the thousand subscribes); RSS readings wait until it stops falling (12 s without a new low in the first run of a side, which gives the RSS figures)',
    ],
    warnings,
    machine: { ...machineInfo(), loadBefore: run.loadBefore, loadAfter: machineLoad() },
    ...(run.smoke ? { smoke: true } : {}),
    table,
    measures: {
      clients: run.clients,
      window: run.window,
      loadProcesses: run.processes,
      halfRateMsgsPerSec: run.halfRate,
      zaplecze: zs,
      raw: rs,
      ratios,
      goals: GOALS,
      passes,
      runs,
    },
  };
  await writeReport(report);
  if (run.smoke) {
    if (problems.length) throw new Error(`smoke chat: ${problems.join('; ')}`);
    console.log(
      `   smoke chat: ok (both sides delivered every message to all ${run.clients} sockets, in order, and the probe got the text and clientId sent)  results: bench/results/smoke/chat.json`,
    );
    return report;
  }
  printReport(report);
  const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
  console.log(
    [
      `   chat fan-out: 1 sender → ${run.clients} sockets, ${run.rounds} rounds`,
      `   delivered msgs/s (max)    zaplecze ${perSec(zs.deliveriesPerSec)}  raw ${perSec(rs.deliveriesPerSec)}  ratio ${f(ratios.throughput, 2)} (per CPU-s ${f(ratios.throughputPerCpu, 2)})  goal >= ${GOALS.throughputRatio}  ${verdict(passes.throughput)}`,
      `   p99 at ${run.halfRate} msgs/s       zaplecze ${ms(zs.halfP99Ms)} (p50 ${ms(zs.halfP50Ms)})  raw ${ms(rs.halfP99Ms)} (p50 ${ms(rs.halfP50Ms)})  goal <= ${GOALS.p99Ms} ms  ${verdict(passes.p99)}`,
      `   RSS per idle connection   zaplecze ${f(zs.rssPerConnectionKb)} KiB  raw ${f(rs.rssPerConnectionKb)} KiB  ratio ${f(ratios.rss, 2)}  goal <= ${GOALS.rssRatio}  ${verdict(passes.rss)}  (subscribed: zaplecze ${f(zs.rssPerSubscribedConnectionKb)} KiB)`,
      `   ${coreNames} busy (max / half)  zaplecze ${pct(zs.loadCoresBusy.max)} / ${pct(zs.loadCoresBusy.half)}  raw ${pct(rs.loadCoresBusy.max)} / ${pct(rs.loadCoresBusy.half)}`,
      '',
    ].join('\n'),
  );
  return report;
}
