/**
 * Load generator child process of the chat bench (pinned to the load core): opens the receiving
 * sockets, measures the server's RSS before and after, then one sender sends 100-byte messages,
 * either as fast as the receivers take them (a window of messages not yet received by a probe
 * receiver) or at a fixed rate, and prints one JSON line with what it saw.
 *
 * Spec (JSON on stdin, or argv[2]): { kind: 'zaplecze' | 'raw', url, serverPid, room?, receiverProtocols: string[][],
 *   senderProtocols: string[], mode: 'max' | 'paced', rate?, window?, warmupS, durationS, textBytes }
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { ownCpuMs, processCpuMs } from './cpu.mjs';

const spec = JSON.parse(process.argv[2] ?? readFileSync(0, 'utf8'));
// Message numbers start at an offset per run: the same sender's clientIds must not repeat (they would be deduplicated).
const OFFSET = spec.offset ?? 0;
const PREFIX = '{"type":"message"';
const CLIENT_ID = Buffer.from('"clientId":"m');

const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${spec.serverPid}/status`, 'utf8'))?.[1] ?? Number.NaN);
const serverCpuMs = () => processCpuMs(spec.serverPid);

/** The message number in a frame that carries `"clientId":"m<n>"`, or -1. */
function messageNumber(data) {
  if (data.length < PREFIX.length || data.toString('latin1', 0, PREFIX.length) !== PREFIX) return -1;
  const at = data.indexOf(CLIENT_ID);
  if (at < 0) return -1;
  let n = 0;
  for (let i = at + CLIENT_ID.length; i < data.length; i++) {
    const c = data[i];
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

let closedByServer = 0;
const closeCodes = {};

function open(protocols) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(spec.url, protocols, { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('close', (code) => {
      closedByServer++;
      closeCodes[code] = (closeCodes[code] ?? 0) + 1;
    });
    if (spec.kind === 'raw') return ws.once('open', () => resolve(ws));
    // Zaplecze: welcome, then subscribe (receivers) and wait for subscribed.
    ws.once('open', () => resolve(ws));
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

// --- receivers: authenticated at the handshake, then (Zaplecze) subscribed to the room ---
const receivers = [];
const rssBefore = rssKb();
const t0 = performance.now();
const BATCH = 50;
for (let i = 0; i < spec.receiverProtocols.length; i += BATCH) {
  receivers.push(...(await Promise.all(spec.receiverProtocols.slice(i, i + BATCH).map((protocols) => open(protocols)))));
}
const connectMs = performance.now() - t0;
// Let allocations settle before reading RSS.
await sleep(2000);
const rssIdle = rssKb();
if (spec.kind === 'zaplecze') {
  for (let i = 0; i < receivers.length; i += BATCH) {
    await Promise.all(
      receivers.slice(i, i + BATCH).map((ws) => {
        const subscribed = untilFrame(ws, 'subscribed');
        ws.send(JSON.stringify({ type: 'subscribe', room: spec.room }));
        return subscribed;
      }),
    );
  }
  await sleep(2000);
}
const rssSubscribed = rssKb();

// --- measurement state ---
let measuring = false;
let deliveries = 0;
let probeReceived = -1;
const sentAt = [];
const histogram = new Uint32Array(100_001); // 0.1 ms bins up to 10 s
let measuredFrom = Number.POSITIVE_INFINITY;
let onProbe = () => {};
const probe = receivers[receivers.length - 1];
for (const ws of receivers) {
  const isProbe = ws === probe;
  ws.on('message', (data) => {
    const n = messageNumber(data) - OFFSET;
    if (n < 0) return;
    if (measuring) deliveries++;
    if (n >= measuredFrom) {
      const ms = performance.now() - sentAt[n];
      histogram[Math.min(100_000, Math.round(ms * 10))]++;
    }
    if (isProbe) {
      probeReceived = n;
      onProbe();
    }
  });
}

const sender = await open(spec.senderProtocols);
if (spec.kind === 'zaplecze') await sleep(100);
const text = 'x'.repeat(spec.textBytes);
let sent = 0;
const send = () => {
  sentAt[sent] = performance.now();
  sender.send(`{"type":"message","room":"${spec.room ?? ''}","text":"${text}","clientId":"m${OFFSET + sent}"}`);
  sent++;
};

async function run(seconds) {
  const end = performance.now() + seconds * 1000;
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
        if (performance.now() >= end) return finish();
        while (sent - 1 - probeReceived < spec.window) send();
      };
      onProbe = fill;
      fill();
      // A lost message would stall the window: stop at the deadline regardless.
      setTimeout(finish, seconds * 1000 + 50);
    });
  } else {
    const start = performance.now();
    const base = sent;
    while (performance.now() < end) {
      const due = base + Math.floor(((performance.now() - start) / 1000) * spec.rate);
      while (sent < due) send();
      await sleep(2);
    }
  }
}

await run(spec.warmupS);
measuredFrom = sent;
measuring = true;
const cpu0 = ownCpuMs();
const server0 = serverCpuMs();
const m0 = performance.now();
await run(spec.durationS);
const elapsedS = (performance.now() - m0) / 1000;
measuring = false;
const loadCpuShare = (ownCpuMs() - cpu0) / 1000 / elapsedS;
const serverCpuShare = (serverCpuMs() - server0) / 1000 / elapsedS;
// Let the last messages arrive (not counted in throughput, counted in latency).
const lastSent = sent - 1;
for (let i = 0; i < 500 && probeReceived < lastSent; i++) await sleep(10);

function percentile(p) {
  let total = 0;
  for (const c of histogram) total += c;
  if (total === 0) return null;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= total * p) return i / 10;
  }
  return null;
}

const connectionsOpen = receivers.filter((ws) => ws.readyState === WebSocket.OPEN).length;
for (const ws of [...receivers, sender]) ws.terminate();
process.stdout.write(
  `${JSON.stringify({
    receivers: receivers.length,
    connectionsOpen,
    closedByServer,
    closeCodes,
    connectMs: Math.round(connectMs),
    rssBeforeKb: rssBefore,
    rssIdleKb: rssIdle,
    rssSubscribedKb: rssSubscribed,
    rssPerConnectionKb: (rssIdle - rssBefore) / receivers.length,
    rssPerSubscribedConnectionKb: (rssSubscribed - rssBefore) / receivers.length,
    sentMeasured: lastSent + 1 - (Number.isFinite(measuredFrom) ? measuredFrom : 0),
    deliveriesPerSec: deliveries / elapsedS,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    maxMs: percentile(1),
    loadCpuShare,
    serverCpuShare,
  })}\n`,
);
process.exit(0);
