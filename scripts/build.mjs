/**
 * `node scripts/build.mjs [server|web] [--force]`: builds what changed since the last build.
 *   server  src/ -> dist/, one .js per .ts, same tree, with esbuild in well under a second. Type
 *           checking is `npm run typecheck` (tsc) and CI; the build only strips types, so a fresh
 *           clone's first `npm start` does not wait ~30 s for tsc. Each source stays a module of its
 *           own (the code finds package.json and drizzle/ relative to its own path, with
 *           import.meta.url); only a few many-module packages are bundled (VENDORED_PACKAGES),
 *           and production installs the other dependencies next to dist/.
 *   web     the browser client, web/ -> dist/web, with Vite (web/vite.config.ts).
 * Both by default. A step whose inputs (scripts/build-stamp.mjs) are unchanged since its last
 * build, and whose output is still there, is skipped: a restart of `npm start` builds nothing.
 * `--force` builds anyway.
 */
import { readdir, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { needsBuild, recordBuild, STEPS } from './build-stamp.mjs';

const SOURCE = 'src';
const OUT = 'dist';

/**
 * Packages made of many small ES modules: loading TypeBox (~700 of them), Stripe (~220),
 * drizzle (~110), jose and uuid one module at a time was about 0.8 s of CPU of every start on
 * Node 20 (no module compile cache before Node 22). The build bundles each import of them that
 * the server makes (with the Fastify type provider, which re-exports TypeBox) into dist/vendor/,
 * sharing chunks, so the process still has one copy of each; the compiled server imports those
 * files instead. Tests and `npm run dev` run the sources against the packages themselves.
 */
const VENDOR = join(OUT, 'vendor');
const VENDORED_PACKAGES = new Set(['typebox', '@fastify/type-provider-typebox', 'drizzle-orm', 'stripe', 'jose', 'uuid']);
const packageOf = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
const isVendored = (specifier) => VENDORED_PACKAGES.has(packageOf(specifier));
/** dist/vendor/<name>.js of an import: `drizzle-orm/pg-core` -> `drizzle-orm-pg-core`. */
const vendorName = (specifier) => specifier.replace(/^@/, '').replaceAll('/', '-');

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

/** Folders of dist/ that other steps write: the web client, the vendored packages, the gateway's site. */
const OTHER_OUTPUTS = new Set(['web', 'vendor', 'gateway']);

/**
 * Deletes compiled server files whose source is gone (tsc left them too; a stale module could
 * still be imported). OTHER_OUTPUTS are left alone (a server build used to delete the Swagger UI
 * scripts of dist/gateway).
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
        if (!OTHER_OUTPUTS.has(rel)) await walk(path);
      } else if ((rel.endsWith('.js') || rel.endsWith('.js.map')) && !expected.has(rel)) {
        await rm(path);
      }
    }
  }
  await walk(OUT);
}

/**
 * Leaves every import as written, except those of vendored packages, which point into
 * dist/vendor/ and are noted in `used`: each source file still compiles to one module of its own
 * (esbuild's bundle mode, with every import external, only to rewrite those paths; in that mode
 * it writes top-level declarations as `var`).
 */
function importsVendored(used) {
  return {
    name: 'imports-vendored',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (!isVendored(args.path)) return { path: args.path, external: true };
        used.add(args.path);
        const from = dirname(join(OUT, relative(SOURCE, args.importer)));
        const path = relative(from, join(VENDOR, `${vendorName(args.path)}.js`))
          .split(sep)
          .join('/');
        return { path: path.startsWith('.') ? path : `./${path}`, external: true };
      });
    },
  };
}

/** In the vendor bundle, every package that is not vendored (pg, PGlite, ajv-formats, Node's own) stays an import. */
const othersExternal = {
  name: 'others-external',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.kind === 'entry-point' || isVendored(args.path) ? undefined : { path: args.path, external: true },
    );
  },
};

async function buildServer() {
  const { build } = await import('esbuild');
  const entryPoints = await sourceFiles(SOURCE);
  await removeStale(entryPoints);
  await rm(VENDOR, { recursive: true, force: true });
  const common = { platform: 'node', format: 'esm', target: 'node20', sourcemap: true, logLevel: 'warning' };
  const used = new Set();
  await build({ ...common, entryPoints, outdir: OUT, outbase: SOURCE, bundle: true, plugins: [importsVendored(used)] });
  await build({
    ...common,
    entryPoints: [...used].sort().map((specifier) => ({ in: specifier, out: vendorName(specifier) })),
    outdir: VENDOR,
    bundle: true,
    splitting: true,
    plugins: [othersExternal],
  });
  return `${entryPoints.length} files into ${OUT}/ (${[...VENDORED_PACKAGES].join(', ')} bundled into ${VENDOR}/)`;
}

async function buildWeb() {
  // Loaded only when the client is built: importing Vite alone costs a few hundred milliseconds.
  const { build } = await import('vite');
  await build({ configFile: 'web/vite.config.ts', logLevel: 'warn' });
  return 'the web client into dist/web/';
}

const BUILDERS = { server: buildServer, web: buildWeb };
const args = process.argv.slice(2);
const force = args.includes('--force');
const named = args.filter((arg) => !arg.startsWith('--'));
const unknown = named.filter((name) => !(name in STEPS));
if (unknown.length > 0) {
  console.error(`usage: node scripts/build.mjs [${Object.keys(STEPS).join('|')}] [--force] (unknown: ${unknown.join(', ')})`);
  process.exit(2);
}
const root = process.cwd();
const current = [];
for (const step of named.length > 0 ? named : Object.keys(STEPS)) {
  const { needed, digest } = await needsBuild(root, step);
  if (!needed && !force) {
    current.push(step);
    continue;
  }
  const started = performance.now();
  const what = await BUILDERS[step]();
  await recordBuild(root, step, digest);
  console.log(`built ${what} in ${Math.round(performance.now() - started)} ms`);
}
if (current.length > 0) console.log(`${current.join(' and ')}: up to date in ${OUT}/ (inputs unchanged; --force rebuilds)`);
