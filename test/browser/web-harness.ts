/**
 * What the browser tests of the web client share: a fresh build of web/ (Vite's JS API, into a
 * temporary folder, so a test never runs against a stale dist/web), an app serving it on a LAN
 * address (plain HTTP off loopback: no secure context, as on a home network), Debian's Chromium,
 * and a recorder of everything that must not happen on a page: failed requests, console errors,
 * CSP violations.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../test-app.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const inCi = process.env.CI === 'true';

/** A non-internal IPv4 address of this machine, or loopback when there is none. */
export function lanAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Builds web/ into a new temporary folder and returns it. */
export async function buildWebClient(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'zaplecze-web-build-'));
  const { build } = await import('vite');
  await build({
    configFile: new URL('../../web/vite.config.ts', import.meta.url).pathname,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

export interface WebHarness {
  t: TestApp;
  base: string;
  browser: Browser;
  /** A new browser context (its own storage, so its own session) with the recorder attached. */
  context(): Promise<BrowserContext>;
  /** What went wrong on any page so far: must stay empty. */
  problems: string[];
  close(): Promise<void>;
}

// Chromium reports ignoring COOP over plain HTTP; that breaks nothing.
const IGNORED_CONSOLE = /Cross-Origin-Opener-Policy header has been ignored|Origin-Agent-Cluster/;

export function watch(page: Page, problems: string[], allowed: (url: string, status: number) => boolean = () => false) {
  page.on('requestfailed', (r) => {
    // A navigation away cancels in-flight polls; that is not a failure of the app.
    if (r.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !allowed(r.url(), r.status())) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !IGNORED_CONSOLE.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}

export async function startWebHarness(options: { env?: Record<string, string> } = {}): Promise<WebHarness> {
  const webRoot = await buildWebClient();
  const t = await createTestApp({ webRoot, env: options.env ?? {} });
  const host = lanAddress();
  await t.http.listen({ host, port: 0 });
  const address = t.http.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening');
  const base = `http://${host}:${address.port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const problems: string[] = [];
  return {
    t,
    base,
    browser,
    problems,
    async context() {
      const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 }, acceptDownloads: true });
      // CSP violations surface as console errors; this catches the ones that do not (e.g. report-only).
      await context.addInitScript(
        "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
      );
      context.on('page', (page) => watch(page, problems));
      return context;
    },
    async close() {
      await browser.close().catch(() => {});
      await t.close();
      await rm(webRoot, { recursive: true, force: true });
    },
  };
}
