/**
 * Builds the browser client into dist/web for the server to serve at /app/ (see
 * src/platform/http/web-app.ts). `npm run dev:web` serves it with hot reload and proxies the
 * API (WebSockets included) to the server on API_URL (default http://127.0.0.1:3000).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const outDir = join(here, '../dist/web');
const api = process.env.API_URL ?? 'http://127.0.0.1:3000';

/** Writes .br and .gz beside every text asset, so the server never compresses per request. */
function precompress(): Plugin {
  let dir = join(outDir, 'assets');
  return {
    name: 'zaplecze-precompress',
    apply: 'build',
    configResolved(config) {
      dir = join(config.build.outDir, 'assets');
    },
    closeBundle() {
      for (const name of readdirSync(dir)) {
        if (!/\.(js|css|svg|json)$/.test(name)) continue;
        const body = readFileSync(join(dir, name));
        writeFileSync(join(dir, `${name}.br`), brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
        writeFileSync(join(dir, `${name}.gz`), gzipSync(body, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root: here,
  base: '/app/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir,
    emptyOutDir: true,
    manifest: true,
    target: 'es2022',
    // Inline nothing: CSP allows scripts and styles from 'self' only (plus inline style attributes).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  plugins: [precompress()],
  server: {
    proxy: {
      '/api': { target: api, ws: true, changeOrigin: false },
      '/health': api,
      '/openapi.json': api,
    },
  },
});
