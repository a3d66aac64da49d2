/**
 * The chat bench's load generator: several chat-load.mjs processes pinned to the load core(s),
 * so one process's event loop is not what bounds the fan-out. The receivers are spread over
 * `processes` of them; one more holds the sender and the probe receiver that paces `max` mode.
 * This module opens the sockets through them, reads the server's RSS around it, arms one timed
 * run on a shared monotonic schedule, and adds up what each process saw: deliveries, latency
 * histograms, losses, and each process's CPU, the server's, and how busy the load cores were.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { coresTimeMs, cpuList, processCpuMs } from './cpu.mjs';
import { CORES, cleanEnv, PINNING, pinned } from './processes.js';
import { steadyRssKb, untilQuiet } from './server-quiet.js';

const WORKER = fileURLToPath(new URL('./chat-load.mjs', import.meta.url));
/** The monotonic clock the load processes stamp messages with (process.hrtime, not performance.now()). */
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const at = (t: number) => sleep(Math.max(0, t - nowMs()));

export interface ChatLoadSpec {
  kind: 'zaplecze' | 'raw';
  url: string;
  serverPid: number;
  room?: string;
  /** One entry per receiving socket: its WebSocket subprotocols. */
  receiverProtocols: string[][];
  senderProtocols: string[];
  /** Processes holding the receivers; the sender's process holds one more (the probe). */
  processes: number;
  mode: 'max' | 'paced';
  /** paced: messages per second. */
  rate?: number;
  /** max: messages sent and not yet received by the probe. */
  window?: number;
  warmupS: number;
  durationS: number;
  textBytes: number;
  /** First message number of the run: one sender's clientIds must never repeat (the server would deduplicate them). */
  offset: number;
  /** How long the server's RSS must stop falling before it is read; also the pause that lets the load processes catch up before a run. */
  settleMs: number;
  /**
   * The same for the RSS readings, when they should be longer: V8 gives garbage back only some
   * seconds after the work that made it (its memory reducer waits about 8 s). On a fresh server a
   * short wait before the sockets charged the start-up garbage given back to them (negative
   * growth); the same wait after they open keeps the two readings alike.
   */
  rssSettleMs?: number;
}

/** One load process: its role, how many receivers it held and the share of a core it used while measured. */
export interface LoadProcessCpu {
  role: 'sender' | 'receivers';
  receivers: number;
  cpuShare: number;
}

export interface ChatLoadOutcome {
  receivers: number;
  connectionsOpen: number;
  closedByServer: number;
  closeCodes: Record<string, number>;
  /** Wall time to open (and, on Zaplecze, be welcomed on) every socket, all processes at once. */
  connectMs: number;
  rssPerConnectionKb: number;
  rssPerSubscribedConnectionKb: number;
  /** Messages received by any receiver within the measured seconds, per second. */
  deliveriesPerSec: number;
  /** Messages the sender sent within the measured seconds. */
  sentMeasured: number;
  /** Deliveries of those messages that never arrived (per socket, summed); 0 when every receiver got every one. */
  missing: number;
  /** Sockets that had not received the last message sent when the wait for it ended, and by how many messages the furthest was behind. */
  socketsBehind: number;
  furthestBehind: number;
  /** Messages a socket received after a later one (or twice). */
  outOfOrder: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  serverCpuShare: number;
  /** The load processes' CPU summed, as a share of the load cores (1: the generator alone kept them busy). */
  loadCpuShare: number;
  /** How busy the load cores were, whoever ran there (/proc/stat): near 1, the generator may bound the figures. */
  loadCoresBusy: number;
  loadCores: number[];
  processes: LoadProcessCpu[];
  /** The probe's first measured frame carried the text and clientId that were sent. */
  echo: { ok: boolean; frame: string };
}

/** Latency histogram bins as [bin, count] with 0.1 ms bins, from each process. */
type Bins = [number, number][];

/** Adds up the latency histograms of several processes. */
export function mergeBins(lists: readonly Bins[]): Bins {
  const sum = new Map<number, number>();
  for (const bins of lists) for (const [bin, count] of bins) sum.set(bin, (sum.get(bin) ?? 0) + count);
  return [...sum].sort((a, b) => a[0] - b[0]);
}

/** The latency (ms) at or below which a share `p` of the samples fall, or null without samples. */
export function percentileOfBins(bins: Bins, p: number): number | null {
  const total = bins.reduce((n, [, count]) => n + count, 0);
  if (!total) return null;
  let seen = 0;
  for (const [bin, count] of bins) {
    seen += count;
    if (seen >= total * p) return bin / 10;
  }
  return null;
}

interface Collected {
  receivers: number;
  connectionsOpen: number;
  closedByServer: number;
  closeCodes: Record<string, number>;
  deliveries: number;
  missing: number;
  socketsBehind: number;
  furthestBehind: number;
  outOfOrder: number;
  bins: Bins;
  cpuMs: number;
  cpuWindowMs: number;
  echo?: { ok: boolean; frame: string };
}

interface LoadProcess {
  call<T = Record<string, unknown>>(command: string, spec?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

function startLoadProcess(): LoadProcess {
  const [command, ...args] = pinned(CORES.load, [process.execPath, WORKER]);
  const child: ChildProcess = spawn(command as string, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: cleanEnv() });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-2000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  return {
    call<T>(name: string, spec: Record<string, unknown> = {}) {
      return new Promise<T>((resolve, reject) => {
        const done = () => {
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        const onMessage = (reply: { ok: boolean; error?: string }) => {
          done();
          if (reply.ok) resolve(reply as T);
          else reject(new Error(`chat load process, ${name}: ${reply.error}`));
        };
        const onExit = (code: number | null) => {
          done();
          reject(new Error(`chat load process exited (${code}) during ${name}: ${stderr}`));
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ command: name, ...spec });
      });
    },
    async stop() {
      if (exited) return;
      if (child.connected) child.send({ command: 'close' });
      let timer: NodeJS.Timeout | undefined;
      const gone = await Promise.race([
        exit.then(() => true),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), 3000);
        }),
      ]);
      clearTimeout(timer);
      if (!gone) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}

/** Deals the receivers out to `processes` shares, round robin; never an empty share. */
export function shareOut<T>(items: readonly T[], processes: number): T[][] {
  const n = Math.max(1, Math.min(processes, items.length));
  return Array.from({ length: n }, (_, i) => items.filter((_, j) => j % n === i)).filter((share) => share.length > 0);
}

/** Opens the sockets, runs one timed run, and closes everything; throws when a load process fails. */
export async function runChatLoad(spec: ChatLoadSpec): Promise<ChatLoadOutcome> {
  const probe = spec.receiverProtocols.at(-1);
  if (!probe) throw new Error('the chat load needs at least one receiver');
  const shares = shareOut(spec.receiverProtocols.slice(0, -1), spec.processes);
  const receiving = shares.map(() => startLoadProcess());
  const sending = startLoadProcess();
  const all = [...receiving, sending];
  const loadCores = PINNING ? cpuList(CORES.load) : Array.from({ length: availableParallelism() }, (_, i) => i);
  try {
    // Readings of a server that has finished its earlier work: start-up, the previous run's
    // sockets closing, and the memory all that gave back.
    await untilQuiet(spec.serverPid);
    const rssSettleMs = spec.rssSettleMs ?? spec.settleMs;
    const rssBefore = await steadyRssKb(spec.serverPid, rssSettleMs);
    const t0 = nowMs();
    await Promise.all([
      ...receiving.map((p, i) => p.call('open', { kind: spec.kind, url: spec.url, receiverProtocols: shares[i] })),
      sending.call('open', { kind: spec.kind, url: spec.url, receiverProtocols: [probe], senderProtocols: spec.senderProtocols }),
    ]);
    const connectMs = nowMs() - t0;
    await untilQuiet(spec.serverPid);
    const rssIdle = await steadyRssKb(spec.serverPid, rssSettleMs);
    if (spec.kind === 'zaplecze') {
      await Promise.all(all.map((p) => p.call('subscribe', { room: spec.room })));
      // A socket is subscribed once told so, but its presence (the others' join frames, the
      // list of who is online) follows: with a thousand sockets that is seconds of the server's
      // work, which must be over before the run, not counted as delivery latency.
      await untilQuiet(spec.serverPid);
    }
    const rssSubscribed = await steadyRssKb(spec.serverPid, rssSettleMs);
    // The load processes may still be reading what the server sent last.
    await sleep(spec.settleMs);

    // One schedule on the shared clock: every process counts the same window.
    const startAt = nowMs() + 300;
    const from = startAt + spec.warmupS * 1000;
    const to = from + spec.durationS * 1000;
    const reading = () => ({ t: nowMs(), server: processCpuMs(spec.serverPid), cores: coresTimeMs(loadCores) });
    const readings = Promise.all([at(from).then(reading), at(to).then(reading)]);
    const run = {
      mode: spec.mode,
      rate: spec.rate,
      window: spec.window,
      startAt,
      from,
      to,
      offset: spec.offset,
      room: spec.room,
      textBytes: spec.textBytes,
    };
    await Promise.all(receiving.map((p) => p.call('run', run)));
    const { sent } = await sending.call<{ sent: { sentInWindow: number; last: number } }>('run', run);
    const collected = await Promise.all(
      all.map((p) => p.call<Collected>('collect', { last: sent.last, sentInWindow: sent.sentInWindow, timeoutMs: 10_000 })),
    );
    const [first, last] = await readings;

    const bins = mergeBins(collected.map((c) => c.bins));
    const sum = (pick: (c: Collected) => number) => collected.reduce((n, c) => n + pick(c), 0);
    const closeCodes: Record<string, number> = {};
    for (const c of collected) for (const [code, n] of Object.entries(c.closeCodes)) closeCodes[code] = (closeCodes[code] ?? 0) + n;
    const processes: LoadProcessCpu[] = collected.map((c, i) => ({
      role: i === collected.length - 1 ? 'sender' : 'receivers',
      receivers: c.receivers,
      cpuShare: c.cpuMs / c.cpuWindowMs,
    }));
    const receivers = sum((c) => c.receivers);
    return {
      receivers,
      connectionsOpen: sum((c) => c.connectionsOpen),
      closedByServer: sum((c) => c.closedByServer),
      closeCodes,
      connectMs: Math.round(connectMs),
      rssPerConnectionKb: perConnection(rssIdle - rssBefore, receivers),
      rssPerSubscribedConnectionKb: perConnection(rssSubscribed - rssBefore, receivers),
      deliveriesPerSec: sum((c) => c.deliveries) / ((to - from) / 1000),
      sentMeasured: sent.sentInWindow,
      missing: sum((c) => c.missing),
      socketsBehind: sum((c) => c.socketsBehind),
      furthestBehind: Math.max(...collected.map((c) => c.furthestBehind)),
      outOfOrder: sum((c) => c.outOfOrder),
      p50Ms: percentileOfBins(bins, 0.5),
      p99Ms: percentileOfBins(bins, 0.99),
      maxMs: percentileOfBins(bins, 1),
      serverCpuShare: (last.server - first.server) / (last.t - first.t),
      loadCpuShare: processes.reduce((n, p) => n + p.cpuShare, 0) / loadCores.length,
      loadCoresBusy: (last.cores.busyMs - first.cores.busyMs) / (last.cores.totalMs - first.cores.totalMs),
      loadCores,
      processes,
      echo: collected.at(-1)?.echo ?? { ok: false, frame: 'the sender process reported no frame' },
    };
  } finally {
    await Promise.all(all.map((p) => p.stop()));
  }
}

/**
 * RSS growth per socket; NaN (not measured, so no verdict) when the RSS did not grow: the
 * process gave memory back while the sockets opened (a GC after the accounts were created), and
 * a negative or zero figure would pass any goal.
 */
function perConnection(growthKb: number, receivers: number): number {
  return growthKb > 0 ? growthKb / receivers : Number.NaN;
}
