/**
 * Swagger UI at /docs must render in a real browser over plain HTTP on a LAN address: a CSP
 * with upgrade-insecure-requests (or HSTS) breaks every asset there, while loopback is exempt,
 * so this test listens on a non-loopback address when the machine has one.
 */
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-app.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';

/** A non-internal IPv4 address of this machine, or loopback when there is none. */
function lanAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

describe('Swagger UI in Chromium', () => {
  it.runIf(inCi)('when running in CI, then Chromium is installed (the docs test must not silently skip)', () => {
    expect(hasChromium, `${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium`).toBe(true);
  });

  describe.skipIf(!hasChromium && !inCi)('with a browser', () => {
    let t: TestApp;
    let browser: Browser;
    let base: string;

    beforeAll(async () => {
      t = await createTestApp();
      const host = lanAddress();
      await t.http.listen({ host, port: 0 });
      const address = t.http.server.address();
      if (!address || typeof address === 'string') throw new Error('not listening');
      base = `http://${host}:${address.port}`;
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await t?.close();
    });

    it('when /docs is opened on the LAN address, then the operations list renders and no request fails', async () => {
      const page = await browser.newPage();
      const failed: string[] = [];
      const problems: string[] = [];
      page.on('requestfailed', (request) => failed.push(`${request.url()} ${request.failure()?.errorText ?? ''}`));
      page.on('response', (response) => {
        if (response.status() >= 400) failed.push(`${response.url()} ${response.status()}`);
      });
      page.on('console', (message) => {
        // COOP only applies over HTTPS; Chromium reports that it ignored it, which breaks nothing.
        if (message.type() === 'error' && !/Cross-Origin-Opener-Policy header has been ignored/.test(message.text())) {
          problems.push(message.text());
        }
      });
      page.on('pageerror', (error) => problems.push(error.message));

      await page.goto(`${base}/docs`, { waitUntil: 'load' });
      await page.getByText('/api/v1/auth/login', { exact: true }).first().waitFor({ state: 'visible', timeout: 30_000 });
      await expect(page.locator('.swagger-ui .info .title').first().textContent()).resolves.toMatch(/Zaplecze API/);
      // The Authorize button comes from the bearerAuth security scheme.
      expect(await page.locator('button.authorize').count()).toBeGreaterThan(0);

      expect(page.url().startsWith(base)).toBe(true); // not upgraded to https
      expect(failed).toEqual([]);
      expect(problems).toEqual([]);
      await page.close();
    }, 90_000);
  });
});
