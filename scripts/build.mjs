/**
 * Compiles the server (src/ -> dist/, one .js per .ts, same tree) with esbuild in well under a
 * second. Type checking is `npm run typecheck` (tsc) and CI; the build only strips types, so a
 * fresh clone's first `npm start` does not wait ~30 s for tsc.
 * Files are not bundled: the code finds package.json and drizzle/ relative to its own path
 * (import.meta.url), and production installs the dependencies next to dist/.
 */
import { readdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { build } from 'esbuild';

const SOURCE = 'src';
const OUT = 'dist';

async function sourceFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return sourceFiles(path);
      return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
    }),
  );
  return nested.flat();
}

/**
 * Deletes compiled server files whose source is gone (tsc left them too; a stale module could
 * still be imported). Other outputs in dist/ (the web client in dist/web) are left alone.
 */
async function removeStale(entryPoints) {
  const expected = new Set();
  for (const path of entryPoints) {
    const js = relative(SOURCE, path).replace(/\.ts$/, '.js');
    expected.add(js);
    expected.add(`${js}.map`);
  }
  async function walk(dir) {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const path = join(dir, e.name);
      const rel = relative(OUT, path);
      if (e.isDirectory()) {
        if (rel !== 'web') await walk(path);
      } else if ((rel.endsWith('.js') || rel.endsWith('.js.map')) && !expected.has(rel)) {
        await rm(path);
      }
    }
  }
  await walk(OUT);
}

const entryPoints = await sourceFiles(SOURCE);
await removeStale(entryPoints);
const started = performance.now();
await build({
  entryPoints,
  outdir: OUT,
  outbase: SOURCE,
  bundle: false,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
console.log(`built ${entryPoints.length} files into ${OUT}/ in ${Math.round(performance.now() - started)} ms`);
