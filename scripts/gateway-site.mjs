/**
 * Exports what the gateway serves itself (dist/gateway, copied to /srv/gateway in the image):
 * the all-in-one OpenAPI document as openapi.json, and Swagger UI for it under docs/. In the split
 * no service has the whole document, so it is made here, at build time, from the compiled
 * all-in-one app (run scripts/build.mjs first). Fixed settings only: the document must not depend
 * on the machine that builds it.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const OUT = 'dist/gateway';

const { buildApp } = await import('../dist/app.js');
const { DEPLOYMENTS } = await import('../dist/deployments.js');
const { EVENT_SCHEMAS } = await import('../dist/events.js');
const { createLogger } = await import('../dist/platform/log.js');
const { closePlatform, openPlatform } = await import('../dist/platform/platform.js');
const { loadAppConfig } = await import('../dist/settings.js');

/** The document exactly as all-in-one serves it, with a server entry relative to the gateway that serves it. */
async function allInOneDocument() {
  const dataDir = await mkdtemp(join(tmpdir(), 'zaplecze-gateway-site-'));
  const config = loadAppConfig({ DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(64), PUBLIC_URL: 'http://localhost:3000', LOG_LEVEL: 'silent' });
  const platform = await openPlatform(config, createLogger('silent'), { events: EVENT_SCHEMAS });
  try {
    const app = await buildApp(platform, DEPLOYMENTS['all-in-one'].modules, { home: false });
    try {
      return { ...app.http.swagger(), servers: [{ url: '/' }] };
    } finally {
      await app.http.close();
    }
  } finally {
    await closePlatform(platform);
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Swagger UI's static files (they come with @fastify/swagger-ui; no CDN) and a start script that loads /openapi.json. */
async function writeDocs(dir) {
  const require = createRequire(import.meta.url);
  const staticDir = join(dirname(require.resolve('@fastify/swagger-ui/package.json')), 'static');
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(staticDir)) {
    if (name === 'csp.json') continue;
    await copyFile(join(staticDir, name), join(dir, name));
  }
  const options = {
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: true,
    layout: 'StandaloneLayout',
  };
  await writeFile(
    join(dir, 'swagger-initializer.js'),
    `window.onload = function () {\n  window.ui = SwaggerUIBundle(Object.assign(${JSON.stringify(options)}, {\n    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],\n    plugins: [SwaggerUIBundle.plugins.DownloadUrl],\n  }));\n};\n`,
  );
}

const started = performance.now();
await rm(OUT, { recursive: true, force: true });
await mkdir(OUT, { recursive: true });
await writeFile(join(OUT, 'openapi.json'), `${JSON.stringify(await allInOneDocument(), null, 2)}\n`);
await writeDocs(join(OUT, 'docs'));
console.log(`wrote ${OUT}/openapi.json and ${OUT}/docs/ in ${Math.round(performance.now() - started)} ms`);
process.exit(0);
