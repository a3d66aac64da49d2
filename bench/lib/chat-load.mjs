/**
 * One load process of the chat bench, driven over IPC by chat-load-group.ts (which starts several,
 * pinned to the load core): it holds a share of the receiving sockets, and one of them also
 * holds the sender socket, whose own receiving socket is the probe that paces `max` mode.
 *
 * Every message carries its number and its send time (`"clientId":"m<n>.<µs>"`) on the
 * monotonic clock, which is the same in every process of the machine: so any process measures
 * delivery latency on its own, and the coordinator only adds up histograms and counts.
 *
 * Commands (one at a time; each answered with one message { ok, ... } or { ok: false, error }):
 *   open      { kind: 'zaplecze' | 'raw', url, receiverProtocols: string[][], senderProtocols?: string[] }
 *   subscribe { room }                       (zaplecze: every receiver subscribes to the room)
 *   run       { mode: 'max' | 'paced', rate?, window?, startAt, from, to, offset, room, textBytes }
 *             arms the counters; the sender's process answers after `to`, the others at once
 *   collect   { last, sentInWindow, timeoutMs }: waits until every socket has message `last` (or the
 *             timeout), then reports counts, the latency histogram and its own CPU time over [from, to]
 *   close
 * Times (startAt, from, to) are monotonic ms (process.hrtime); only deliveries received in
 * [from, to] count as throughput, only messages sent in [from, to] as latency samples.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { ownCpuMs } from './cpu.mjs';

/** Monotonic ms: CLOCK_MONOTONIC, shared by every process on the machine (performance.now() is not). */
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

const PREFIX = '{"type":"message"';
const CLIENT_ID = Buffer.from('"clientId":"m');
const BINS = 100_001; // 0.1 ms bins up to 10 s

let parsedN = -1;
let parsedUs = 0;
/** Reads `"clientId":"m<n>.<µs>"` of a message frame into parsedN / parsedUs; false for any other frame. */
function parse(data) {
  if (data.length < PREFIX.length || data.toString('latin1', 0, PREFIX.length) !== PREFIX) return false;
  const at = data.indexOf(CLIENT_ID);
  if (at < 0) return false;
  let i = at + CLIENT_ID.length;
  let n = 0;
  for (; i < data.length && data[i] >= 48 && data[i] <= 57; i++) n = n * 10 + (data[i] - 48);
  if (data[i] !== 46) return false;
  let us = 0;
  for (i++; i < data.length && data[i] >= 48 && data[i] <= 57; i++) us = us * 10 + (data[i] - 48);
  parsedN = n;
  parsedUs = us;
  return true;
}

let closedByServer = 0;
const closeCodes = {};
let kind = 'raw';
/** @type {WebSocket[]} */
const receivers = [];
/** @type {WebSocket | undefined} */
let sender;

function open(url, protocols) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('close', (code) => {
      closedByServer++;
      closeCodes[code] = (closeCodes[code] ?? 0) + 1;
    });
    if (kind === 'raw') ws.once('open', () => resolve(ws));
    // Zaplecze authenticates at the handshake and then says welcome: a socket is ready once welcomed.
    else untilFrame(ws, 'welcome').then(() => resolve(ws));
  });
}

function untilFrame(ws, type) {
  return new Promise((resolve) => {
    const onMessage = (data) => {
      if (data.toString('latin1', 0, 10 + type.length).includes(`"type":"${type}"`)) {
        ws.off('message', onMessage);
        resolve();
      }
    };
    ws.on('message', onMessage);
  });
}

// --- the current run's state ---
let run;
let lastSeen = new Float64Array(0);
let measuredBySocket = new Uint32Array(0);
let histogram = new Uint32Array(BINS);
let deliveries = 0;
let outOfOrder = 0;
let probeReceived = -1;
let onProbe = () => {};
let echo;
let sentText = '';
let cpu = { from: Number.NaN, fromAt: Number.NaN, to: Number.NaN, toAt: Number.NaN };
/** Resolves once the CPU time at `to` is read. */
let cpuRead = Promise.resolve();

function listen(ws, index, isProbe) {
  ws.on('message', (data) => {
    if (!run || !parse(data) || parsedN < run.offset) return;
    const t = nowMs();
    if (parsedN <= lastSeen[index]) outOfOrder++;
    else lastSeen[index] = parsedN;
    if (t >= run.from && t <= run.to) deliveries++;
    const sentAt = parsedUs / 1000;
    if (sentAt >= run.from && sentAt <= run.to) {
      measuredBySocket[index]++;
      histogram[Math.min(BINS - 1, Math.round((t - sentAt) * 10))]++;
    }
    if (isProbe) {
      if (!echo) echo = { frame: data.toString('utf8'), n: parsedN, us: parsedUs };
      probeReceived = parsedN;
      onProbe();
    }
  });
}

/** Resolves at monotonic time `t` (at once when it has passed). */
const at = (t) => sleep(Math.max(0, t - nowMs()));

async function send(spec) {
  const text = 'x'.repeat(spec.textBytes);
  sentText = text;
  let sent = 0;
  let sentInWindow = 0;
  let firstInWindow = -1;
  const sendOne = () => {
    // The stamp, not the unrounded time, decides the window: receivers see only the stamp.
    const us = Math.round(nowMs() * 1000);
    const n = spec.offset + sent++;
    if (us / 1000 >= spec.from && us / 1000 <= spec.to) {
      if (firstInWindow < 0) firstInWindow = n;
      sentInWindow++;
    }
    sender.send(`{"type":"message","room":"${spec.room ?? ''}","text":"${text}","clientId":"m${n}.${us}"}`);
  };
  await at(spec.startAt);
  if (spec.mode === 'max') {
    await new Promise((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        onProbe = () => {};
        resolve();
      };
      const fill = () => {
        if (nowMs() >= spec.to) return finish();
        while (spec.offset + sent - 1 - probeReceived < spec.window) sendOne();
      };
      onProbe = fill;
      fill();
      // A lost message would stall the window: stop at the deadline regardless.
      at(spec.to + 50).then(finish);
    });
  } else {
    while (nowMs() < spec.to) {
      const due = Math.floor(((nowMs() - spec.startAt) / 1000) * spec.rate);
      while (sent < due) sendOne();
      await sleep(2);
    }
  }
  return { sent, sentInWindow, firstInWindow, last: spec.offset + sent - 1 };
}

const commands = {
  async open(spec) {
    kind = spec.kind;
    const t0 = nowMs();
    const BATCH = 50;
    for (let i = 0; i < spec.receiverProtocols.length; i += BATCH) {
      receivers.push(...(await Promise.all(spec.receiverProtocols.slice(i, i + BATCH).map((p) => open(spec.url, p)))));
    }
    const connectMs = nowMs() - t0;
    lastSeen = new Float64Array(receivers.length);
    measuredBySocket = new Uint32Array(receivers.length);
    // The sender's process holds the probe: its last receiver.
    for (const [i, ws] of receivers.entries()) listen(ws, i, spec.senderProtocols !== undefined && i === receivers.length - 1);
    if (spec.senderProtocols) sender = await open(spec.url, spec.senderProtocols);
    return { connectMs };
  },

  async subscribe({ room }) {
    const BATCH = 50;
    for (let i = 0; i < receivers.length; i += BATCH) {
      await Promise.all(
        receivers.slice(i, i + BATCH).map((ws) => {
          const subscribed = untilFrame(ws, 'subscribed');
          ws.send(JSON.stringify({ type: 'subscribe', room }));
          return subscribed;
        }),
      );
    }
    return {};
  },

  async run(spec) {
    run = spec;
    lastSeen.fill(spec.offset - 1);
    measuredBySocket.fill(0);
    histogram = new Uint32Array(BINS);
    deliveries = 0;
    outOfOrder = 0;
    probeReceived = spec.offset - 1;
    echo = undefined;
    cpu = { from: Number.NaN, fromAt: Number.NaN, to: Number.NaN, toAt: Number.NaN };
    at(spec.from).then(() => {
      cpu.from = ownCpuMs();
      cpu.fromAt = nowMs();
    });
    cpuRead = at(spec.to).then(() => {
      cpu.to = ownCpuMs();
      cpu.toAt = nowMs();
    });
    if (!sender) return {};
    return { sent: await send(spec) };
  },

  async collect({ last, sentInWindow, timeoutMs }) {
    const deadline = nowMs() + timeoutMs;
    const behind = () => lastSeen.some((n) => n < last);
    while (behind() && nowMs() < deadline) await sleep(10);
    await cpuRead;
    let missing = 0;
    for (const n of measuredBySocket) missing += Math.max(0, sentInWindow - n);
    let socketsBehind = 0;
    let furthestBehind = 0;
    for (const n of lastSeen) {
      if (n < last) socketsBehind++;
      furthestBehind = Math.max(furthestBehind, last - n);
    }
    const bins = [];
    for (let i = 0; i < histogram.length; i++) if (histogram[i]) bins.push([i, histogram[i]]);
    let echoed;
    if (sender && echo) {
      const frame = JSON.parse(echo.frame);
      echoed = { ok: frame.text === sentText && frame.clientId === `m${echo.n}.${echo.us}`, frame: echo.frame.slice(0, 400) };
    }
    return {
      receivers: receivers.length,
      connectionsOpen: receivers.filter((ws) => ws.readyState === WebSocket.OPEN).length,
      closedByServer,
      closeCodes,
      deliveries,
      measured: measuredBySocket.reduce((a, b) => a + b, 0),
      missing,
      socketsBehind,
      furthestBehind,
      outOfOrder,
      bins,
      cpuMs: cpu.to - cpu.from,
      cpuWindowMs: cpu.toAt - cpu.fromAt,
      ...(sender ? { echo: echoed ?? { ok: false, frame: 'no message reached the probe' } } : {}),
    };
  },

  async close() {
    for (const ws of [...receivers, ...(sender ? [sender] : [])]) ws.terminate();
    setImmediate(() => process.exit(0));
    return {};
  },
};

process.on('message', (message) => {
  const { command, ...spec } = message;
  commands[command](spec).then(
    (reply) => process.send({ ok: true, ...reply }),
    (err) => process.send({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
// The coordinator gone means the bench was stopped: do not outlive it.
process.on('disconnect', () => process.exit(0));
