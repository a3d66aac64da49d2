/**
 * files: a 1 GiB upload and download through the compiled Zaplecze API (multipart POST
 * /api/v1/files streamed through busboy, type sniffing, SHA-256, fsync + rename; GET
 * /files/:id/content with ETag and Range support) against a raw node:http server
 * (baselines/raw-files.mjs) doing `pipeline(req, file)`, the same plus SHA-256 and fsync, and
 * `createReadStream -> res`, interleaved in the same run. Servers on the server core, the client
 * (lib/files-client.mjs, one process per transfer) on the load core, medians over the rounds.
 * Goals (issue #17): upload >= 0.9 of the raw server doing the same SHA-256 and fsync, download
 * >= 0.9 of raw, server RSS growth during an upload <= 64 MB. Before the rounds one untimed
 * upload and download per side checks that both store and return the same bytes (SHA-256).
 *
 *   npm run bench -- files [--rounds 3] [--size-mb 1024] [--no-build]
 */
import { createHash, randomFillSync } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchTableRow } from '../scripts/bench-table.js';
import { type Bench, fetchJson, positiveFlag, withServers } from './lib/bench.js';
import { machineInfo, machineLoad, median } from './lib/compare.js';
import { processCpuMs } from './lib/cpu.mjs';
import { runPinnedScript } from './lib/load.js';
import { CORES, type ServerProcess, startServer } from './lib/processes.js';
import { type Report, type RoundRow, reportPath, writeReport } from './lib/report.js';
import { buildZaplecze, databaseNote, ROOT, startZaplecze } from './lib/zaplecze.js';

const CLIENT = fileURLToPath(new URL('./lib/files-client.mjs', import.meta.url));
const GOALS = { upload: 0.9, download: 0.9, rssGrowthMb: 64 };
const DEFAULT_SIZE_MIB = 1024;
const SMOKE_SIZE_MIB = 16;

type SideName = 'zaplecze' | 'raw' | 'raw+sha256+fsync';
type Op = 'upload' | 'download';

/** What the client process saw of one transfer. */
interface Transfer {
  status: number;
  bytes: number;
  ms: number;
  /** The client's own CPU time. */
  cpuMs: number;
  body?: string;
  sha256?: string;
}

/** One timed transfer and what the server spent on it. */
interface Row {
  round: number;
  side: SideName;
  op: Op;
  mibps: number;
  ms: number;
  serverCpuMs: number;
  clientCpuMs: number;
  rssGrowthMb: number;
}

const transfer = (spec: Record<string, unknown>) => runPinnedScript<Transfer>(CORES.load, CLIENT, spec);

const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

/** Runs one transfer against `server`, sampling its RSS (peak over the start) and CPU time meanwhile. */
async function measured(server: ServerProcess, spec: Record<string, unknown>) {
  const baseMb = rssMb(server.pid);
  let peakMb = baseMb;
  const timer = setInterval(() => {
    peakMb = Math.max(peakMb, rssMb(server.pid));
  }, 25);
  const cpu0 = processCpuMs(server.pid);
  try {
    const t = await transfer(spec);
    peakMb = Math.max(peakMb, rssMb(server.pid));
    return { t, serverCpuMs: processCpuMs(server.pid) - cpu0, rssGrowthMb: peakMb - baseMb };
  } finally {
    clearInterval(timer);
  }
}

/** Writes `bytes` of random data to `path`; returns its SHA-256. */
async function makeSource(path: string, bytes: number): Promise<string> {
  const out = createWriteStream(path);
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  for (let left = bytes; left > 0; left -= chunk.length) {
    randomFillSync(chunk);
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    hash.update(piece);
    if (!out.write(piece)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return hash.digest('hex');
}

const sizeLabel = (mib: number) => (mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`);
const rate = (n: number) => `${Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-'} MiB/s`;
const mb = (n: number) => `${Number.isFinite(n) ? n.toFixed(1) : '-'} MB`;

export const filesBench: Bench = {
  name: 'files',
  description: `1 GiB upload vs raw + SHA-256 + fsync (goal >= ${GOALS.upload}) and download vs raw (>= ${GOALS.download}); server RSS growth <= ${GOALS.rssGrowthMb} MB`,
  flags: { 'size-mb': { description: `size of the file in MiB (default ${DEFAULT_SIZE_MIB}; ${SMOKE_SIZE_MIB} in --smoke)` } },
  async run(options) {
    const sizeMib = options.smoke ? SMOKE_SIZE_MIB : positiveFlag(options, 'size-mb', DEFAULT_SIZE_MIB);
    const size = Math.round(sizeMib * 1024 * 1024);
    await buildZaplecze({ skip: options.skipBuild });
    const work = await mkdtemp(join(tmpdir(), 'zaplecze-files-bench-'));
    const source = join(work, 'source.bin');
    process.stderr.write(`writing a ${sizeMib} MiB source file\n`);
    const sourceSha256 = await makeSource(source, size);
    const loadBefore = machineLoad();

    try {
      const rows = await withServers(async (track) => {
        const zaplecze = track(
          await startZaplecze({
            MAX_UPLOAD_BYTES: `${Math.ceil(size / 1024 / 1024) + 1}mb`,
            FILES_QUOTA_BYTES: '0',
            FILES_ALLOWED_TYPES: '*/*',
          }),
        );
        const raw = track(
          await startServer({
            name: 'raw node:http',
            argv: [process.execPath, 'bench/baselines/raw-files.mjs'],
            cwd: ROOT,
            env: { RAW_FILES_DIR: work },
            readyPath: '/health',
          }),
        );
        const email = `bench-${Date.now()}@bench.local`;
        const password = 'a-long-bench-password-123';
        await fetchJson(`${zaplecze.url}/api/v1/auth/register`, { method: 'POST', body: { email, password, name: 'Bench' }, expect: 202 });
        let token = '';
        const logIn = async () => {
          const { body } = await fetchJson(`${zaplecze.url}/api/v1/auth/login`, { method: 'POST', body: { email, password }, expect: 200 });
          token = (body as { accessToken: string }).accessToken;
        };
        const auth = () => ({ authorization: `Bearer ${token}` });
        const upload: Record<SideName, () => Record<string, unknown>> = {
          zaplecze: () => ({ mode: 'upload', url: `${zaplecze.url}/api/v1/files`, file: source, multipart: true, headers: auth() }),
          raw: () => ({ mode: 'upload', url: `${raw.url}/upload`, file: source }),
          'raw+sha256+fsync': () => ({ mode: 'upload', url: `${raw.url}/upload-hashed`, file: source }),
        };
        const storedId = (t: Transfer) => {
          if (t.status !== 201) throw new Error(`zaplecze upload answered ${t.status}: ${t.body}`);
          return (JSON.parse(t.body as string) as { items: { id: string; sha256: string }[] }).items[0] as { id: string; sha256: string };
        };

        // Both sides store and return the same bytes: the hashes they answer and the content they send back.
        await logIn();
        const stored = storedId(await transfer(upload.zaplecze()));
        const hashed = await transfer(upload['raw+sha256+fsync']());
        const rawSha256 = (JSON.parse(hashed.body ?? '{}') as { sha256?: string }).sha256;
        const [back, rawBack] = [
          await transfer({ mode: 'download', url: `${zaplecze.url}/api/v1/files/${stored.id}/content`, headers: auth(), hash: true }),
          await transfer({ mode: 'download', url: `${raw.url}/download`, hash: true }),
        ];
        const seen = {
          'zaplecze upload': stored.sha256,
          'raw upload': rawSha256,
          'zaplecze download': back.sha256,
          'raw download': rawBack.sha256,
        };
        const wrong = Object.entries(seen).filter(([, sha]) => sha !== sourceSha256);
        if (wrong.length || back.status !== 200 || rawBack.status !== 200) {
          throw new Error(
            `the sides do not return the source (${sourceSha256}): ${JSON.stringify(seen)}, download status ${back.status} / ${rawBack.status}`,
          );
        }
        await fetchJson(`${zaplecze.url}/api/v1/files/${stored.id}`, { method: 'DELETE', headers: auth(), expect: 204 });

        const rows: Row[] = [];
        const record = (round: number, side: SideName, op: Op, m: Awaited<ReturnType<typeof measured>>) => {
          const expected = op === 'upload' ? 201 : 200;
          if (m.t.status !== expected || m.t.bytes !== size) {
            throw new Error(`round ${round} ${side} ${op}: status ${m.t.status} (expected ${expected}), ${m.t.bytes} of ${size} bytes`);
          }
          const row: Row = {
            round,
            side,
            op,
            mibps: m.t.bytes / 1024 / 1024 / (m.t.ms / 1000),
            ms: m.t.ms,
            serverCpuMs: m.serverCpuMs,
            clientCpuMs: m.t.cpuMs,
            rssGrowthMb: m.rssGrowthMb,
          };
          rows.push(row);
          if (!options.smoke) {
            process.stderr.write(
              `  round ${round}/${options.rounds} ${side.padEnd(16)} ${op.padEnd(8)} ${rate(row.mibps).padStart(11)}  server cpu ${Math.round((row.serverCpuMs / row.ms) * 100)}%  rss +${row.rssGrowthMb.toFixed(1)} MB\n`,
            );
          }
          return m.t;
        };
        for (let round = 1; round <= options.rounds; round++) {
          // Access tokens live 15 minutes; a slow run must not outlive one.
          await logIn();
          // Alternate who goes first, so drift over time (and a warmer page cache) does not favour one side.
          const ups: SideName[] = round % 2 ? ['zaplecze', 'raw', 'raw+sha256+fsync'] : ['raw+sha256+fsync', 'raw', 'zaplecze'];
          let id = '';
          for (const side of ups) {
            const t = record(round, side, 'upload', await measured(side === 'zaplecze' ? zaplecze : raw, upload[side]()));
            if (side === 'zaplecze') id = storedId(t).id;
          }
          for (const side of round % 2 ? (['zaplecze', 'raw'] as const) : (['raw', 'zaplecze'] as const)) {
            const spec =
              side === 'zaplecze'
                ? { mode: 'download', url: `${zaplecze.url}/api/v1/files/${id}/content`, headers: auth() }
                : { mode: 'download', url: `${raw.url}/download` };
            record(round, side, 'download', await measured(side === 'zaplecze' ? zaplecze : raw, spec));
          }
          await fetchJson(`${zaplecze.url}/api/v1/files/${id}`, { method: 'DELETE', headers: auth(), expect: 204 });
        }
        return rows;
      });
      return await summarise(rows, { sizeMib, rounds: options.rounds, smoke: options.smoke, loadBefore });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  },
};

/** Medians, ratios and the README rows; writes the results and prints them (or, smoke, that it ran). */
async function summarise(rows: Row[], run: { sizeMib: number; rounds: number; smoke: boolean; loadBefore: string }): Promise<Report> {
  const of = (side: SideName, op: Op) => rows.filter((r) => r.side === side && r.op === op);
  const med = (side: SideName, op: Op, pick: (r: Row) => number) => median(of(side, op).map(pick));
  const mibps = (side: SideName, op: Op) => med(side, op, (r) => r.mibps);
  // MiB moved per second of the server's CPU: the steadier figure when the server did not get its whole core.
  const perCpu = (side: SideName, op: Op) => med(side, op, (r) => r.mibps / (r.serverCpuMs / r.ms));
  const rssGrowth = (side: SideName) => Math.max(...of(side, 'upload').map((r) => r.rssGrowthMb));
  const m = {
    upload: { zaplecze: mibps('zaplecze', 'upload'), raw: mibps('raw', 'upload'), rawHashed: mibps('raw+sha256+fsync', 'upload') },
    download: { zaplecze: mibps('zaplecze', 'download'), raw: mibps('raw', 'download') },
  };
  const ratios = {
    upload: m.upload.zaplecze / m.upload.rawHashed,
    uploadVsPlainRaw: m.upload.zaplecze / m.upload.raw,
    download: m.download.zaplecze / m.download.raw,
    uploadPerCpu: perCpu('zaplecze', 'upload') / perCpu('raw+sha256+fsync', 'upload'),
    uploadVsPlainRawPerCpu: perCpu('zaplecze', 'upload') / perCpu('raw', 'upload'),
    downloadPerCpu: perCpu('zaplecze', 'download') / perCpu('raw', 'download'),
  };
  const rss = { zaplecze: rssGrowth('zaplecze'), rawHashed: rssGrowth('raw+sha256+fsync') };
  const passes = {
    upload: ratios.upload >= GOALS.upload,
    download: ratios.download >= GOALS.download,
    rss: rss.zaplecze <= GOALS.rssGrowthMb,
  };
  const size = sizeLabel(run.sizeMib);
  const table: BenchTableRow[] = [
    {
      measure: `files: ${size} upload`,
      baseline: 'raw + SHA-256 + fsync (the same work)',
      zaplecze: rate(m.upload.zaplecze),
      baselineResult: rate(m.upload.rawHashed),
      ratio: ratios.upload,
      goal: `≥ ${GOALS.upload}`,
      perCpu: ratios.uploadPerCpu,
    },
    {
      measure: `files: ${size} upload`,
      baseline: 'raw `pipeline(req, file)`, no hash or fsync',
      zaplecze: rate(m.upload.zaplecze),
      baselineResult: rate(m.upload.raw),
      ratio: ratios.uploadVsPlainRaw,
      goal: null,
      perCpu: ratios.uploadVsPlainRawPerCpu,
    },
    {
      measure: `files: ${size} download`,
      baseline: 'raw `createReadStream → res`',
      zaplecze: rate(m.download.zaplecze),
      baselineResult: rate(m.download.raw),
      ratio: ratios.download,
      goal: `≥ ${GOALS.download}`,
      perCpu: ratios.downloadPerCpu,
    },
    {
      measure: `files: server RSS growth during a ${size} upload (max of ${run.rounds})`,
      baseline: 'raw + SHA-256 + fsync',
      zaplecze: mb(rss.zaplecze),
      baselineResult: mb(rss.rawHashed),
      ratio: null,
      goal: `≤ ${GOALS.rssGrowthMb} MB`,
      perCpu: null,
    },
  ];

  const roundRow = (r: Row, role: RoundRow['role']): RoundRow => ({
    round: r.round,
    windowUs: [0, 0],
    role,
    side: r.side,
    reqPerSec: r.mibps,
    reqPerCpuS: r.mibps / (r.serverCpuMs / r.ms),
    p50Ms: null,
    p99Ms: null,
    serverCpuShare: r.serverCpuMs / r.ms,
    loadCpuShare: r.clientCpuMs / r.ms,
    non2xx: 0,
    errors: 0,
    status: { [r.op === 'upload' ? '201' : '200']: 1 },
  });
  // The headline measure (the goal that matters most): upload against the raw server doing the same work.
  const headline = [
    ...of('zaplecze', 'upload').map((r) => roundRow(r, 'candidate')),
    ...of('raw+sha256+fsync', 'upload').map((r) => roundRow(r, 'baseline')),
  ];
  const sideSummary = (side: SideName) => {
    const list = of(side, 'upload');
    return {
      name: side,
      reqPerSec: mibps(side, 'upload'),
      reqPerCpuS: perCpu(side, 'upload'),
      p50Ms: Number.NaN,
      p99Ms: Number.NaN,
      serverCpuShare: median(list.map((r) => r.serverCpuMs / r.ms)),
      loadCpuShare: median(list.map((r) => r.clientCpuMs / r.ms)),
    };
  };
  const load = { request: `POST /api/v1/files, one ${size} multipart part`, connections: 1, warmupS: 0, durationS: 0 };
  const report: Report = {
    name: 'files',
    title: `${size} upload, Zaplecze vs a raw server doing the same SHA-256 and fsync; download vs raw`,
    unit: 'MiB/s',
    when: new Date().toISOString(),
    goal: GOALS.upload,
    ratio: ratios.upload,
    pass: Object.values(passes).every(Boolean),
    pairedRatios: Array.from({ length: run.rounds }, (_, i) => {
      const z = of('zaplecze', 'upload').find((r) => r.round === i + 1);
      const h = of('raw+sha256+fsync', 'upload').find((r) => r.round === i + 1);
      return z && h ? z.mibps / h.mibps : Number.NaN;
    }),
    cpuRatio: ratios.uploadPerCpu,
    candidate: sideSummary('zaplecze'),
    baseline: sideSummary('raw+sha256+fsync'),
    load: { candidate: load, baseline: { ...load, request: 'POST /upload-hashed, the raw body' } },
    rounds: headline,
    notes: [
      `${size} of random bytes; one client process per transfer on core ${CORES.load}, servers on core ${CORES.server}; rounds alternate the side order`,
      `zaplecze: MAX_UPLOAD_BYTES just over the file, FILES_QUOTA_BYTES=0, FILES_ALLOWED_TYPES=*/*; ${databaseNote()}`,
      'before the rounds, one untimed upload and download per side: both answered the source SHA-256 and sent the same bytes back',
      'per CPU-s: MiB moved per second of the server process CPU time (from /proc)',
    ],
    warnings: [],
    machine: { ...machineInfo(), loadBefore: run.loadBefore, loadAfter: machineLoad() },
    ...(run.smoke ? { smoke: true } : {}),
    table,
    measures: { sizeMib: run.sizeMib, medianMiBps: m, ratios, rssGrowthMb: rss, goals: GOALS, passes, transfers: rows },
  };
  await writeReport(report);
  if (run.smoke) {
    console.log(
      `   smoke files: ok (${size}: both sides stored and returned the source's SHA-256; every timed transfer answered 201/200 with every byte)  results: ${relative(process.cwd(), reportPath(report))}`,
    );
    return report;
  }
  const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
  console.log(
    [
      '',
      `== files: ${report.title}, ${run.rounds} rounds interleaved`,
      ...report.notes.map((n) => `   ${n}`),
      `   machine: ${report.machine.pinning}; load average before ${report.machine.loadBefore}, after ${report.machine.loadAfter}`,
      `   upload   zaplecze ${rate(m.upload.zaplecze)} vs raw + SHA-256 + fsync ${rate(m.upload.rawHashed)}  ratio ${ratios.upload.toFixed(2)} (per CPU-s ${ratios.uploadPerCpu.toFixed(2)})  goal >= ${GOALS.upload}  ${verdict(passes.upload)}`,
      `   upload   vs raw with no hash or fsync ${rate(m.upload.raw)}: ratio ${ratios.uploadVsPlainRaw.toFixed(2)} (context, not the goal)`,
      `   download zaplecze ${rate(m.download.zaplecze)} vs raw ${rate(m.download.raw)}  ratio ${ratios.download.toFixed(2)} (per CPU-s ${ratios.downloadPerCpu.toFixed(2)})  goal >= ${GOALS.download}  ${verdict(passes.download)}`,
      `   server RSS growth during an upload (max over rounds): zaplecze ${mb(rss.zaplecze)}, raw ${mb(rss.rawHashed)}  goal <= ${GOALS.rssGrowthMb} MB  ${verdict(passes.rss)}`,
      `   per-round upload ratios: ${report.pairedRatios.map((x) => x.toFixed(2)).join(' ')}`,
      `   results: bench/results/files.json`,
      '',
    ].join('\n'),
  );
  return report;
}
