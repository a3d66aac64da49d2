/**
 * Checks the web client's size budgets from the build manifest (dist/web/.vite/manifest.json),
 * gzip sizes as served: initial JS (the entry and what it imports statically) <= 35 kB,
 * all JS <= 90 kB, all CSS <= 10 kB. Then, when Chromium is installed, measures the first
 * load of the catalog against a local server (a cold cache each time, median of 3) and prints it
 * against its 800 ms goal. Sizes fail the run; the timing never does (a busy CI machine would
 * make it fail at random), it is a figure to read.
 *
 *   npm run build && npm run web:budgets
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EVENT_SCHEMAS } from '../src/events.js';

const ROOT = 'dist/web';
const KB = 1024;
const BUDGET = { initialJs: 35 * KB, allJs: 90 * KB, css: 10 * KB, firstLoadMs: 800 };

interface Chunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  css?: string[];
}

const gz = (file: string) => gzipSync(readFileSync(join(ROOT, file)), { level: 9 }).length;
const kb = (n: number) => `${(n / KB).toFixed(1)} kB`;

function sizes() {
  const manifest = JSON.parse(readFileSync(join(ROOT, '.vite/manifest.json'), 'utf8')) as Record<string, Chunk>;
  const entry = Object.entries(manifest).find(([, c]) => c.isEntry);
  if (!entry) throw new Error('no entry chunk in the manifest');
  const initial = new Set<string>();
  const visit = (key: string) => {
    const chunk = manifest[key];
    if (!chunk || initial.has(chunk.file)) return;
    initial.add(chunk.file);
    for (const i of chunk.imports ?? []) visit(i);
  };
  visit(entry[0]);
  const assets = readdirSync(join(ROOT, 'assets')).map((f) => `assets/${f}`);
  const sum = (files: Iterable<string>) => [...files].reduce((n, f) => n + gz(f), 0);
  return {
    initialJs: sum([...initial].filter((f) => f.endsWith('.js'))),
    allJs: sum(assets.filter((f) => f.endsWith('.js'))),
    css: sum(assets.filter((f) => f.endsWith('.css'))),
  };
}

/** Median time from navigation start to the catalog's product list being rendered, cold cache. */
async function firstLoad(): Promise<number | undefined> {
  if (!existsSync('/usr/bin/chromium')) return undefined;
  const [{ chromium }, { buildApp }, { DEPLOYMENTS }, { loadAppConfig }, { createLogger }, { closePlatform, openPlatform }] =
    await Promise.all([
      import('playwright-core'),
      import('../src/app.js'),
      import('../src/deployments.js'),
      import('../src/settings.js'),
      import('../src/platform/log.js'),
      import('../src/platform/platform.js'),
    ]);
  const dataDir = await mkdtemp(join(tmpdir(), 'zaplecze-budget-'));
  const config = loadAppConfig({ DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(64), LOG_LEVEL: 'silent' });
  const platform = await openPlatform(config, createLogger('silent'), { events: EVENT_SCHEMAS });
  const modules = DEPLOYMENTS['all-in-one'].modules;
  for (const factory of modules) await factory(platform).seed?.();
  const app = await buildApp(platform, modules, { webRoot: ROOT });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    await app.http.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.http.server.address() as { port: number };
    const times: number[] = [];
    // Run 0 warms the server's JIT and Chromium's process; its context (and cache) is thrown away.
    for (let i = 0; i < 4; i++) {
      const context = await browser.newContext(); // a new context: empty cache
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${port}/app/`);
      await page.locator('ul[data-ready="true"]').waitFor({ timeout: 10_000 });
      if (i > 0) times.push(await page.evaluate(() => performance.now()));
      await context.close();
    }
    times.sort((a, b) => a - b);
    console.log(
      `catalog first load runs: ${times.map((t) => `${Math.round(t)} ms`).join(', ')} (load average ${loadavg()[0]?.toFixed(1)})`,
    );
    return times[1];
  } finally {
    await browser.close();
    await app.http.close();
    await closePlatform(platform);
    await rm(dataDir, { recursive: true, force: true });
  }
}

const measured = sizes();
const rows: [string, number, number, (n: number) => string][] = [
  ['initial JS (gzip)', measured.initialJs, BUDGET.initialJs, kb],
  ['all JS (gzip)', measured.allJs, BUDGET.allJs, kb],
  ['CSS (gzip)', measured.css, BUDGET.css, kb],
];
let failed = false;
for (const [name, value, budget, fmt] of rows) {
  const over = value > budget;
  failed ||= over;
  console.log(`${over ? '✘' : '✔'} ${name}: ${fmt(value)} (budget ${fmt(budget)})`);
}
const load = await firstLoad();
if (load === undefined) console.log('catalog first load: skipped (no /usr/bin/chromium)');
else {
  const verdict = load > BUDGET.firstLoadMs ? 'over' : 'within';
  console.log(
    `catalog first load, cold cache (median of 3): ${Math.round(load)} ms, ${verdict} the ${BUDGET.firstLoadMs} ms goal (load average ${loadavg()[0]?.toFixed(1)}; not a gate)`,
  );
}
process.exit(failed ? 1 : 0);
