/**
 * Regenerates the README's screenshots (1280×800) of the web client: catalog, cart, an order
 * paid in the sandbox, chat, and the admin orders screen. Builds web/ and the app in-process on a
 * throwaway embedded database with the demo data, drives Debian's Chromium, writes
 * docs/screenshots/*.png.
 *
 *   npm run screenshots
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { buildApp } from '../src/app.js';
import { DEPLOYMENTS } from '../src/deployments.js';
import { EVENT_SCHEMAS } from '../src/events.js';
import { createLogger } from '../src/platform/log.js';
import { closePlatform, openPlatform } from '../src/platform/platform.js';
import { loadAppConfig } from '../src/settings.js';

const OUT = 'docs/screenshots';
const ADMIN = { email: 'admin@example.com', password: 'screenshots-admin-passphrase' };
const USER = { name: 'Ada Lovelace', email: 'ada@example.com', password: 'screenshots-user-passphrase' };
const FRIEND = { name: 'Bolesław Prus', email: 'prus@example.com', password: 'screenshots-friend-passphrase' };
const WAIT = { timeout: 20_000 };

const work = await mkdtemp(join(tmpdir(), 'zaplecze-shots-'));
const webRoot = join(work, 'web');
await build({ configFile: 'web/vite.config.ts', logLevel: 'warn', build: { outDir: webRoot, emptyOutDir: true } });
const config = loadAppConfig({
  DATA_DIR: join(work, 'data'),
  JWT_SECRET: 'x'.repeat(64),
  LOG_LEVEL: 'silent',
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  RATE_LIMIT_MAX: '100000',
  AUTH_RATE_LIMIT_MAX: '100000',
});
await mkdir(join(work, 'data'), { recursive: true });
const platform = await openPlatform(config, createLogger('silent'), { events: EVENT_SCHEMAS });
const modules = DEPLOYMENTS['all-in-one'].modules;
for (const factory of modules) await factory(platform).seed?.();
const app = await buildApp(platform, modules, { webRoot });
await app.http.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${(app.http.server.address() as { port: number }).port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });

async function call(method: string, url: string, token?: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/api/v1${url}`, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  // biome-ignore lint/suspicious/noExplicitAny: a throwaway script reading a few known fields
  return (res.status === 204 ? undefined : await res.json()) as any;
}
const login = async (who: { email: string; password: string }) =>
  (await call('POST', '/auth/login', undefined, { email: who.email, password: who.password })).accessToken as string;

async function signedIn(who: { email: string; password: string }): Promise<Page> {
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto('/app/sign-in');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor(WAIT);
  return page;
}

async function shot(page: Page, name: string) {
  await page.waitForLoadState('networkidle');
  await page.locator('section.page[aria-busy="false"]').first().waitFor(WAIT);
  await page.screenshot({ path: join(OUT, `${name}.png`) });
  console.log(`${OUT}/${name}.png`);
}

try {
  await mkdir(OUT, { recursive: true });
  for (const u of [USER, FRIEND]) await call('POST', '/auth/register', undefined, u);
  const adminToken = await login(ADMIN);
  const userToken = await login(USER);
  const friendToken = await login(FRIEND);

  const page = await signedIn(USER);
  await page.locator('ul[data-ready="true"]').waitFor(WAIT);
  await shot(page, 'catalog');

  // A cart holds one currency: two in-stock products priced like the first.
  const products = (await call('GET', '/products?limit=50&inStock=true')).items as { id: string; currency: string }[];
  const sameCurrency = products.filter((p) => p.currency === products[0]?.currency).slice(0, 2);
  for (const [i, p] of sameCurrency.entries()) await call('PUT', `/cart/items/${p.id}`, userToken, { quantity: i + 1 });
  await page.goto('/app/cart');
  await shot(page, 'cart');

  const address = { name: USER.name, line1: 'ul. Krakowskie Przedmieście 5', city: 'Warszawa', postalCode: '00-068', country: 'PL' };
  const order = await call('POST', '/orders', userToken, { shippingAddress: address }, { 'idempotency-key': 'screenshots-1' });
  await page.goto(`/app/orders/${order.id}`);
  await page.getByRole('button', { name: /^Pay / }).click();
  await page
    .getByTestId('order-status')
    .filter({ hasText: /^paid$/ })
    .waitFor(WAIT);
  await shot(page, 'order-paid');

  const rooms = (await call('GET', '/chat/public-rooms?limit=100', userToken)).items as { id: string; name: string }[];
  const general =
    rooms.find((r) => r.name === 'general') ?? (await call('POST', '/chat/rooms', adminToken, { kind: 'public', name: 'general' }));
  for (const token of [userToken, friendToken]) await call('POST', `/chat/rooms/${general.id}/join`, token);
  const friend = await signedIn(FRIEND);
  await friend.goto(`/app/chat/${general.id}`);
  await friend.getByText('Connected').waitFor(WAIT);
  await page.goto(`/app/chat/${general.id}`);
  await page.getByText('Connected').waitFor(WAIT);
  for (const [who, text] of [
    [friend, 'Dzień dobry! Has the new lamp arrived?'],
    [page, 'It has, I just paid for it in the sandbox.'],
    [friend, 'Great, see you at the shop.'],
  ] as const) {
    await who.getByLabel('Message', { exact: true }).fill(text);
    await who.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('log').getByText(text).waitFor(WAIT);
  }
  await shot(page, 'chat');

  const admin = await signedIn(ADMIN);
  await admin.goto('/app/admin/orders');
  await admin
    .getByRole('button', { name: /^Open order/ })
    .first()
    .click();
  await admin.getByRole('heading', { name: /^Order #/ }).waitFor(WAIT);
  await shot(admin, 'admin-orders');
} finally {
  await browser.close();
  await app.http.close();
  await closePlatform(platform);
  await rm(work, { recursive: true, force: true });
}
process.exit(0);
