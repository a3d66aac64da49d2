/**
 * The web client end to end in Chromium, on a LAN address over plain HTTP: a customer signs up,
 * finds a product, buys it and pays in the sandbox; two people chat; an admin refunds the order;
 * a file goes up over tus and comes back byte-exact. No page may log an error, break the CSP or
 * see a failed request.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct } from '../shop-fixtures.js';
import { ADMIN, DEFAULT_PASSWORD } from '../test-app.js';
import { CHROMIUM, hasChromium, inCi, startWebHarness, type WebHarness } from './web-harness.js';

const WAIT = { timeout: 15_000 };

async function signIn(page: Page, email: string, password: string) {
  await page.goto('/app/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Catalog' }).waitFor(WAIT);
}

describe('web client journey in Chromium', () => {
  it.runIf(inCi)('when running in CI, then Chromium is installed (the journey must not silently skip)', () => {
    expect(hasChromium, `${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium`).toBe(true);
  });

  describe.skipIf(!hasChromium && !inCi)('with a browser', () => {
    let h: WebHarness;
    let customer: BrowserContext;
    let page: Page;
    const email = `journey-${randomBytes(3).toString('hex')}@test.local`;
    const productName = `Journey lamp ${randomBytes(2).toString('hex')}`;
    let orderId = '';

    beforeAll(async () => {
      h = await startWebHarness();
      const admin = await h.t.admin();
      await createProduct(h.t, admin, { name: productName, stock: 5, priceCents: 4200, currency: 'PLN' });
      customer = await h.context();
      // Test instrumentation: keep the page's WebSockets reachable, to drop the chat connection.
      await customer.addInitScript(`{
        const Native = WebSocket;
        window.__sockets = [];
        window.WebSocket = class extends Native {
          constructor(...args) { super(...args); window.__sockets.push(this); }
        };
      }`);
      page = await customer.newPage();
    }, 120_000);

    afterAll(async () => {
      await h?.close();
    });

    it('when a person signs up, then they are told to check their mail and can sign in', async () => {
      await page.goto('/app/sign-up');
      await page.getByLabel('Name').fill('Journey Customer');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(DEFAULT_PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('status').filter({ hasText: 'Check your mail' }).waitFor(WAIT);
      expect(await page.getByLabel('Email').inputValue()).toBe(email);
      await page.getByLabel('Password').fill(DEFAULT_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor(WAIT);
      expect(await page.title()).toBe('Catalog · Zaplecze');
    }, 60_000);

    it('when the customer searches, buys and pays in the sandbox, then the order turns paid without a reload and is listed', async () => {
      await page.getByLabel('Search').fill(productName);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('link', { name: productName }).waitFor(WAIT);
      // The kind filter applies with the search: the lamp is a product, not a book.
      await page.getByLabel('Kind').selectOption('book');
      await page.getByText('No products match.').waitFor(WAIT);
      await page.getByLabel('Kind').selectOption('product');
      await page.getByRole('link', { name: productName }).click();
      await page.getByRole('heading', { level: 1, name: productName }).waitFor(WAIT);
      await page.getByText('5 in stock').waitFor(WAIT);
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await page.getByRole('link', { name: 'Go to the cart' }).click();
      await page.getByRole('cell', { name: productName, exact: true }).waitFor(WAIT);
      await page.getByRole('link', { name: 'Checkout' }).click();

      await page.getByLabel('Full name').fill('Journey Customer');
      await page.getByLabel('Street and number').fill('ul. Długa 1');
      await page.getByLabel('City').fill('Gdańsk');
      await page.getByLabel('Postal code').fill('80-001');
      await page.getByLabel('Country code').fill('pl');
      // The first answer is lost on the way back (the server did create the order): the retry
      // must send the same Idempotency-Key, so it gets that order instead of a second one.
      const keys: string[] = [];
      await customer.route('**/api/v1/orders', async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        keys.push(route.request().headers()['idempotency-key'] ?? '');
        if (keys.length > 1) return route.continue();
        await route.fetch();
        return route.abort('connectionreset');
      });
      await page.getByRole('button', { name: 'Place order' }).click();
      await page.getByRole('alert').filter({ hasText: 'Cannot reach the server' }).waitFor(WAIT);
      await page.getByRole('button', { name: 'Place order' }).click();
      await page.waitForURL(/\/app\/orders\/[0-9a-f-]+$/, WAIT);
      await customer.unroute('**/api/v1/orders');
      expect(keys).toHaveLength(2);
      expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(keys[1]).toBe(keys[0]);
      // The aborted attempt is a failed request by design; it is not one of the page's problems.
      h.problems.splice(0, h.problems.length, ...h.problems.filter((p) => !/ERR_CONNECTION_RESET|POST .*\/api\/v1\/orders/.test(p)));
      orderId = page.url().split('/').pop() ?? '';
      const status = page.getByTestId('order-status');
      await expect(status.textContent()).resolves.toBe('pending payment');

      const navigations: string[] = [];
      page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));
      await page.getByRole('button', { name: /^Pay / }).click();
      await page
        .getByTestId('order-status')
        .filter({ hasText: /^paid$/ })
        .waitFor(WAIT);
      expect(navigations).toEqual([]); // turned paid in place

      await page.getByRole('link', { name: 'Orders', exact: true }).click();
      // A route change names the page and puts focus on its heading (for screen readers).
      await page.getByRole('heading', { level: 1, name: 'Orders' }).waitFor(WAIT);
      // The title and the focus follow the heading's render in an effect: wait for them, not a frame.
      await expect.poll(() => page.title()).toBe('Orders · Zaplecze');
      await expect.poll(() => page.evaluate('document.activeElement.id')).toBe('page-title');
      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: `#${orderId.slice(-8)}` }) });
      await row.waitFor(WAIT);
      await expect(row.getByText('paid', { exact: true }).count()).resolves.toBe(1);
      await expect(page.locator('tbody tr').count()).resolves.toBe(1); // the retry ordered nothing twice
    }, 60_000);

    it('when two people are in one room, then each sees the other online, typing, and a message within 5 s', async () => {
      const other = await h.t.createUser({ name: 'Journey Friend' });
      const friendContext = await h.context();
      const friend = await friendContext.newPage();

      // Public rooms are opened by admins (like the seeded "general"); people join them.
      const roomName = `journey-${randomBytes(2).toString('hex')}`;
      const created = await h.t.request({
        method: 'POST',
        url: '/api/v1/chat/rooms',
        token: (await h.t.admin()).token,
        payload: { kind: 'public', name: roomName },
      });
      expect(created.statusCode, created.body).toBe(201);

      await page.getByRole('link', { name: 'Chat' }).click();
      await page.getByRole('button', { name: `Join ${roomName}` }).click();
      await page.getByRole('heading', { level: 1, name: roomName }).waitFor(WAIT);

      await signIn(friend, other.email, DEFAULT_PASSWORD);
      await friend.getByRole('link', { name: 'Chat' }).click();
      await friend.getByRole('button', { name: `Join ${roomName}` }).click();
      await friend.getByRole('heading', { level: 1, name: roomName }).waitFor(WAIT);
      await friend.getByText('Connected').waitFor(WAIT);

      // Presence: the customer sees two people online, the friend among them.
      await page.getByRole('heading', { name: 'Online (2)' }).waitFor(WAIT);
      await friend.getByRole('heading', { name: 'Online (2)' }).waitFor(WAIT);

      await friend.getByLabel('Message', { exact: true }).pressSequentially('hel');
      await page.getByText(/is typing…$/).waitFor(WAIT);

      const text = `hello from the friend ${randomBytes(2).toString('hex')}`;
      await friend.getByLabel('Message', { exact: true }).fill(text);
      await friend.getByRole('button', { name: 'Send' }).click();
      const sentAt = Date.now();
      await page.getByRole('log').getByText(text).waitFor({ timeout: 5_000 });
      expect(Date.now() - sentAt).toBeLessThan(5_000);
      // The sender's copy is no longer pending once the server acked it.
      await friend.locator('[role="log"] li:not([data-pending])').filter({ hasText: text }).waitFor(WAIT);

      // The customer's connection drops. While it cannot reconnect (its ticket request is held),
      // the friend sends a message; the reconnect subscribes from the last seq the customer saw,
      // so the missed message is replayed, once.
      let releaseTicket = () => {};
      const ticketHeld = new Promise<void>((r) => {
        releaseTicket = r;
      });
      await customer.route('**/api/v1/chat/ticket', async (route) => {
        await ticketHeld;
        await route.continue();
      });
      await page.evaluate('window.__sockets.forEach((s) => s.close())');
      await page.getByText(/^(Offline — reconnecting|Connecting…)$/).waitFor(WAIT);
      const missed = `while you were away ${randomBytes(2).toString('hex')}`;
      await friend.getByLabel('Message', { exact: true }).fill(missed);
      await friend.getByRole('button', { name: 'Send' }).click();
      await friend.locator('[role="log"] li:not([data-pending])').filter({ hasText: missed }).waitFor(WAIT);
      expect(await page.getByRole('log').getByText(missed).count()).toBe(0);
      releaseTicket();
      await page.getByRole('log').getByText(missed).waitFor(WAIT);
      await expect(page.getByRole('log').getByText(missed).count()).resolves.toBe(1);
      await customer.unroute('**/api/v1/chat/ticket');

      // A direct message to someone online in the room opens a direct room and is delivered there.
      await page.getByRole('button', { name: /^Message .* directly$/ }).click();
      await page.getByRole('heading', { level: 1, name: 'Direct message' }).waitFor(WAIT);
      await page.getByText('Connected').waitFor(WAIT);
      await page.getByLabel('Message', { exact: true }).fill('just between us');
      await page.getByRole('button', { name: 'Send' }).click();
      await page.locator('[role="log"] li:not([data-pending])').filter({ hasText: 'just between us' }).waitFor(WAIT);
      await friendContext.close();
    }, 60_000);

    it('when an admin refunds the order, then the customer sees it refunded', async () => {
      const adminContext = await h.context();
      const admin = await adminContext.newPage();
      await signIn(admin, ADMIN.email, ADMIN.password);
      await admin.getByRole('link', { name: 'Admin' }).click();
      await admin.getByRole('heading', { level: 1, name: 'Admin dashboard' }).waitFor(WAIT);
      await admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Orders' }).click();
      await admin.getByRole('button', { name: `Open order #${orderId.slice(-8)}` }).click();
      await admin.getByRole('button', { name: /^Refund / }).click();
      await admin.getByRole('heading', { name: /refunded$/ }).waitFor(WAIT);
      await adminContext.close();

      await page.goto(`/app/orders/${orderId}`);
      await page
        .getByTestId('order-status')
        .filter({ hasText: /^refunded$/ })
        .waitFor(WAIT);
    }, 60_000);

    it('when a file is uploaded over tus, then progress is shown and the download is byte-exact', async () => {
      // A PDF header so the content check accepts it; the rest random, over several tus chunks.
      const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(700 * 1024)]);
      await page.getByRole('link', { name: 'Files' }).click();
      await page.getByLabel('File', { exact: true }).setInputFiles({ name: 'journey.pdf', mimeType: 'application/pdf', buffer: bytes });
      await page.getByRole('button', { name: 'Upload', exact: true }).click();
      await page.getByText(/journey\.pdf: uploaded/).waitFor(WAIT);
      const progress = page.locator('progress#upload-progress');
      await expect(
        progress.evaluate((p) => [(p as unknown as { value: number }).value, (p as unknown as { max: number }).max]),
      ).resolves.toEqual([bytes.length, bytes.length]);

      const [download] = await Promise.all([
        page.waitForEvent('download', WAIT),
        page.getByRole('button', { name: 'Download journey.pdf' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe('journey.pdf');
      const back = await readFile(await download.path());
      expect(back.equals(bytes)).toBe(true);
    }, 60_000);

    it('when todos are reordered with the keyboard, then the new order is kept and focus stays on the moved item', async () => {
      await page.getByRole('link', { name: 'Todos' }).click();
      await page.getByLabel('New list name').fill('Errands');
      await page.getByRole('button', { name: 'Create list' }).click();
      await page.getByRole('heading', { level: 2, name: 'Errands' }).waitFor(WAIT);
      for (const title of ['Post office', 'Bakery']) {
        await page.getByLabel('New todo').fill(title);
        await page.getByLabel('New todo').press('Enter');
        await page.getByText(title, { exact: true }).waitFor(WAIT);
      }
      const titles = () => page.locator('ul.todos li label').allTextContents();
      await expect(titles()).resolves.toEqual(['Post office', 'Bakery']);
      const up = page.getByRole('button', { name: 'Move “Bakery” up' });
      await up.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Move “Bakery” up' }).and(page.locator('[disabled]')).waitFor(WAIT);
      await expect(titles()).resolves.toEqual(['Bakery', 'Post office']);
      await expect(page.evaluate('document.activeElement.textContent')).resolves.toContain('Move “Bakery” down');
      await page.getByLabel('Post office').click();
      await page.locator('ul.todos li.done').filter({ hasText: 'Post office' }).waitFor(WAIT);
      await page.reload();
      await page.locator('ul.todos li.done').filter({ hasText: 'Post office' }).waitFor(WAIT);
      await expect(titles()).resolves.toEqual(['Bakery', 'Post office']);
    }, 60_000);

    it('when two tabs find the access token expired at once, then exactly one refresh runs and both stay signed in', async () => {
      // Plain HTTP on a LAN address has no Web Locks: this exercises the localStorage lease.
      const second = await customer.newPage();
      await second.goto('/app/orders');
      await second.getByRole('heading', { level: 1, name: 'Orders' }).waitFor(WAIT);
      await page.evaluate(`(() => {
        const s = JSON.parse(localStorage.getItem('zaplecze.session'));
        localStorage.setItem('zaplecze.session', JSON.stringify({ ...s, expiresAt: 0 }));
      })()`);
      // The first refresh is held at the network until both tabs have rendered and started
      // loading, so without a cross-tab lock the second tab would send its own refresh meanwhile.
      const refreshes: string[] = [];
      let release = () => {};
      const released = new Promise<void>((r) => {
        release = r;
      });
      await customer.route('**/api/v1/auth/refresh', async (route) => {
        refreshes.push(route.request().url());
        if (refreshes.length === 1) await released;
        await route.continue();
      });
      await Promise.all([page.goto('/app/orders'), second.goto('/app/todos')]);
      await page.getByRole('heading', { level: 1, name: 'Orders' }).waitFor(WAIT);
      await second.getByRole('heading', { level: 1, name: 'Todos' }).waitFor(WAIT);
      const nextFrame = 'new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)))';
      await Promise.all([page.evaluate(nextFrame), second.evaluate(nextFrame)]);
      release();
      await page.getByRole('link', { name: `#${orderId.slice(-8)}` }).waitFor(WAIT);
      await second.getByRole('heading', { level: 2, name: 'Lists' }).waitFor(WAIT);
      await customer.unroute('**/api/v1/auth/refresh');
      expect(refreshes).toHaveLength(1);
      // The rotated token is the one both tabs use now; the server did not see a reuse and revoke.
      await second.reload();
      await second.getByRole('button', { name: 'Sign out' }).waitFor(WAIT);
      await page.goto('/app/cart');
      await page.getByRole('heading', { level: 1, name: 'Cart' }).waitFor(WAIT);
      await page.getByText('Your cart is empty').waitFor(WAIT);

      // Signing out in one tab signs out the other too.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor(WAIT);
      await second.getByRole('link', { name: 'Sign in' }).first().waitFor(WAIT);
      await second.close();
    }, 60_000);

    it('then no page had a failed request, a console error or a CSP violation', () => {
      expect(h.problems).toEqual([]);
    });
  });
});
