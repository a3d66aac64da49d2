/**
 * Files throughput: a 1 GiB upload and download through the compiled Zaplecze API (multipart
 * POST /api/v1/files streamed through busboy, type sniffing, SHA-256, fsync + rename; GET
 * /files/:id/content with ETag and Range support) against a raw node:http server doing
 * `pipeline(req, file)` / `createReadStream -> res`, interleaved in the same run. Servers on
 * the server core, the client on the load core (taskset), medians over the rounds.
 * Goals: upload >= 0.8 and download >= 0.8 of raw; server RSS growth during an upload <= 64 MB.
 *
 *   npx tsx bench/files.ts [--rounds 3] [--size-mb 1024] [--no-build]
 */
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fetchJson, withServers } from './lib/bench.js';
import { median } from './lib/compare.js';
import { CORES, cleanEnv, PINNING, pinned, startServer } from './lib/processes.js';
import { RESULTS_DIR } from './lib/report.js';
import { buildZaplecze, ROOT, startZaplecze } from './lib/zaplecze.js';

const CLIENT = fileURLToPath(new URL('./files-client.mjs', import.meta.url));
const GOALS = { upload: 0.8, download: 0.8, rssGrowthMb: 64 };

interface Transfer {
  status: number;
  bytes: number;
  ms: number;
  body?: string;
}

/** Runs one transfer in the pinned client process. */
async function transfer(spec: Record<string, unknown>): Promise<Transfer> {
  const [command, ...args] = pinned(CORES.load, [process.execPath, CLIENT, JSON.stringify(spec)]);
  const child = spawn(command as string, args, { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c;
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c;
  });
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`client failed (${code}): ${err.slice(-1000)}`);
  return JSON.parse(out.trim().split('\n').pop() as string) as Transfer;
}

const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

/** Samples the RSS of `pid` while `work` runs; returns the work's result and the peak. */
async function withRssPeak<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; baseMb: number; peakMb: number }> {
  const baseMb = rssMb(pid);
  let peakMb = baseMb;
  const timer = setInterval(() => {
    peakMb = Math.max(peakMb, rssMb(pid));
  }, 25);
  try {
    const result = await work();
    peakMb = Math.max(peakMb, rssMb(pid));
    return { result, baseMb, peakMb };
  } finally {
    clearInterval(timer);
  }
}

async function makeSource(path: string, bytes: number) {
  const out = createWriteStream(path);
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  for (let left = bytes; left > 0; left -= chunk.length) {
    randomFillSync(chunk);
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    if (!out.write(piece)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

const mbps = (t: Transfer) => t.bytes / 1024 / 1024 / (t.ms / 1000);

async function main() {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '3' }, 'size-mb': { type: 'string', default: '1024' }, 'no-build': { type: 'boolean' } },
  });
  const rounds = Number(values.rounds);
  const size = Number(values['size-mb']) * 1024 * 1024;
  await buildZaplecze({ skip: values['no-build'] === true });
  const work = await mkdtemp(join(tmpdir(), 'zaplecze-files-bench-'));
  const source = join(work, 'source.bin');
  process.stderr.write(`writing a ${values['size-mb']} MiB source file\n`);
  await makeSource(source, size);
  const loadBefore = loadavg().map((l) => l.toFixed(2));

  try {
    await withServers(async (track) => {
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
      const login = await fetchJson(`${zaplecze.url}/api/v1/auth/login`, { method: 'POST', body: { email, password }, expect: 200 });
      let token = (login.body as { accessToken: string }).accessToken;
      const auth = () => ({ authorization: `Bearer ${token}` });

      const rows: { round: number; side: string; op: string; mbps: number; ms: number; rssGrowthMb?: number }[] = [];
      for (let round = 1; round <= rounds; round++) {
        // Access tokens live 15 minutes; a slow run must not outlive one.
        token = (
          (await fetchJson(`${zaplecze.url}/api/v1/auth/login`, { method: 'POST', body: { email, password }, expect: 200 })).body as {
            accessToken: string;
          }
        ).accessToken;
        const up = await withRssPeak(zaplecze.pid, () =>
          transfer({ mode: 'upload', url: `${zaplecze.url}/api/v1/files`, file: source, multipart: true, headers: auth() }),
        );
        if (up.result.status !== 201) throw new Error(`upload answered ${up.result.status}: ${up.result.body}`);
        const id = (JSON.parse(up.result.body as string) as { items: { id: string }[] }).items[0]?.id as string;
        rows.push({ round, side: 'zaplecze', op: 'upload', mbps: mbps(up.result), ms: up.result.ms, rssGrowthMb: up.peakMb - up.baseMb });
        const rawUp = await transfer({ mode: 'upload', url: `${raw.url}/upload`, file: source });
        rows.push({ round, side: 'raw', op: 'upload', mbps: mbps(rawUp), ms: rawUp.ms });
        const hashedUp = await transfer({ mode: 'upload', url: `${raw.url}/upload-hashed`, file: source });
        rows.push({ round, side: 'raw+sha256+fsync', op: 'upload', mbps: mbps(hashedUp), ms: hashedUp.ms });

        const down = await transfer({ mode: 'download', url: `${zaplecze.url}/api/v1/files/${id}/content`, headers: auth() });
        if (down.status !== 200 || down.bytes !== size) throw new Error(`download answered ${down.status} with ${down.bytes} bytes`);
        rows.push({ round, side: 'zaplecze', op: 'download', mbps: mbps(down), ms: down.ms });
        const rawDown = await transfer({ mode: 'download', url: `${raw.url}/download` });
        rows.push({ round, side: 'raw', op: 'download', mbps: mbps(rawDown), ms: rawDown.ms });
        await fetchJson(`${zaplecze.url}/api/v1/files/${id}`, { method: 'DELETE', headers: auth(), expect: 204 });
        for (const r of rows.filter((x) => x.round === round)) {
          process.stderr.write(
            `  round ${round} ${r.side.padEnd(16)} ${r.op.padEnd(8)} ${r.mbps.toFixed(0).padStart(5)} MiB/s` +
              `${r.rssGrowthMb === undefined ? '' : `  rss +${r.rssGrowthMb.toFixed(1)} MB`}\n`,
          );
        }
      }

      const med = (side: string, op: string) => median(rows.filter((r) => r.side === side && r.op === op).map((r) => r.mbps));
      const ratios = {
        upload: med('zaplecze', 'upload') / med('raw', 'upload'),
        download: med('zaplecze', 'download') / med('raw', 'download'),
      };
      const rssGrowthMb = Math.max(...rows.filter((r) => r.rssGrowthMb !== undefined).map((r) => r.rssGrowthMb as number));
      const report = {
        name: 'files',
        when: new Date().toISOString(),
        sizeBytes: size,
        rounds,
        goals: GOALS,
        medianMiBps: {
          zaplecze: { upload: med('zaplecze', 'upload'), download: med('zaplecze', 'download') },
          raw: { upload: med('raw', 'upload'), download: med('raw', 'download') },
          rawHashedUpload: med('raw+sha256+fsync', 'upload'),
        },
        ratios,
        /** Against a raw server doing the same essential work (hash + fsync): the framework's own cost. */
        uploadRatioVsEqualWork: med('zaplecze', 'upload') / med('raw+sha256+fsync', 'upload'),
        rssGrowthMb,
        pass: ratios.upload >= GOALS.upload && ratios.download >= GOALS.download && rssGrowthMb <= GOALS.rssGrowthMb,
        rows,
        machine: {
          pinning: PINNING ? `servers on core ${CORES.server}, client on core ${CORES.load}` : 'off',
          loadBefore: loadBefore.join(' '),
          loadAfter: loadavg()
            .map((l) => l.toFixed(2))
            .join(' '),
          node: process.version,
        },
      };
      console.log(
        [
          '',
          `== files: ${Math.round(size / 1024 / 1024)} MiB upload + download, Zaplecze API vs raw node:http, ${rounds} rounds interleaved`,
          `   machine: ${report.machine.pinning}; load average before ${report.machine.loadBefore}, after ${report.machine.loadAfter}`,
          `   upload   zaplecze ${report.medianMiBps.zaplecze.upload.toFixed(0)} MiB/s vs raw ${report.medianMiBps.raw.upload.toFixed(0)} MiB/s  ratio ${ratios.upload.toFixed(2)} (goal >= ${GOALS.upload})`,
          `   upload   vs raw that also hashes (SHA-256) and fsyncs: ${med('raw+sha256+fsync', 'upload').toFixed(0)} MiB/s, ratio ${(med('zaplecze', 'upload') / med('raw+sha256+fsync', 'upload')).toFixed(2)} (context, not the goal)`,
          `   download zaplecze ${report.medianMiBps.zaplecze.download.toFixed(0)} MiB/s vs raw ${report.medianMiBps.raw.download.toFixed(0)} MiB/s  ratio ${ratios.download.toFixed(2)} (goal >= ${GOALS.download})`,
          `   server RSS growth during upload (max over rounds): ${rssGrowthMb.toFixed(1)} MB (goal <= ${GOALS.rssGrowthMb})`,
          `   ${report.pass ? 'PASS' : 'MISS'}; results: bench/results/files.json`,
          '',
        ].join('\n'),
      );
      await mkdir(RESULTS_DIR, { recursive: true });
      await writeFile(join(RESULTS_DIR, 'files.json'), `${JSON.stringify(report, null, 2)}\n`);
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
