/**
 * axe-core (WCAG 2.0/2.1 A and AA rules) over every route of the web client, signed out, as a
 * customer with data on each screen, and as an admin; also a form showing a validation problem.
 * No serious or critical finding is allowed. axe is injected, so these contexts bypass the CSP
 * (the journey test checks the CSP with it enforced).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct } from '../shop-fixtures.js';
import { ADMIN, DEFAULT_PASSWORD, type TestUser } from '../test-app.js';
import { CHROMIUM, hasChromium, inCi, startWebHarness, type WebHarness, watch } from './web-harness.js';

const WAIT = { timeout: 15_000 };
const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Finding {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Serious and critical axe findings on the page as it is now. */
async function audit(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: await axeSource });
  const violations = (await page.evaluate(async () => {
    const g = globalThis as unknown as { axe: { run: (ctx: unknown, o: object) => Promise<{ violations: unknown[] }> }; document: unknown };
    const result = await g.axe.run(g.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations;
  })) as Finding[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function settle(page: Page) {
  await page.waitForLoadState('networkidle');
  await page.locator('section.page[aria-busy="false"]').first().waitFor(WAIT);
}

describe('accessibility of every route (axe-core, WCAG 2.1 A/AA)', () => {
  it.runIf(inCi)('when running in CI, then Chromium is installed', () => {
    expect(hasChromium, `${CHROMIUM} is missing`).toBe(true);
  });

  describe.skipIf(!hasChromium && !inCi)('with a browser', () => {
    let h: WebHarness;
    let customer: TestUser;
    let productId = '';
    let orderId = '';
    let roomId = '';
    const problems: string[] = [];

    beforeAll(async () => {
      h = await startWebHarness();
      const admin = await h.t.admin();
      productId = (await createProduct(h.t, admin, { name: 'Axe lamp', stock: 4 })).id;
      customer = await h.t.createUser({ name: 'Axe Customer' });
      const as = (method: 'POST' | 'PUT', url: string, payload: object, headers: Record<string, string> = {}) =>
        h.t.request({ method, url: `/api/v1${url}`, token: customer.token, payload, headers });
      await as('PUT', `/cart/items/${productId}`, { quantity: 1 });
      const address = { name: 'A', line1: 'B 1', city: 'C', postalCode: '00-001', country: 'PL' };
      orderId = (await as('POST', '/orders', { shippingAddress: address }, { 'idempotency-key': 'axe-order-1' })).json().id;
      await as('PUT', `/cart/items/${productId}`, { quantity: 1 });
      roomId = (await as('POST', '/chat/rooms', { kind: 'private', name: 'axe room' })).json().id;
      const list = (await as('POST', '/todo-lists', { name: 'Groceries' })).json();
      await as('POST', '/todos', { listId: list.id, title: 'Bread' });
      await as('POST', '/todos', { listId: list.id, title: 'Milk' });
    }, 120_000);

    afterAll(async () => {
      await h?.close();
    });

    async function contextFor(who?: { email: string; password: string }): Promise<{ context: BrowserContext; page: Page }> {
      const context = await h.browser.newContext({ baseURL: h.base, viewport: { width: 1280, height: 800 }, bypassCSP: true });
      const page = await context.newPage();
      watch(page, problems);
      if (who) {
        await page.goto('/app/sign-in');
        await page.getByLabel('Email').fill(who.email);
        await page.getByLabel('Password').fill(who.password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('button', { name: 'Sign out' }).waitFor(WAIT);
      }
      return { context, page };
    }

    async function auditRoutes(page: Page, routes: string[]) {
      const found: Record<string, string[]> = {};
      for (const route of routes) {
        await page.goto(route);
        await settle(page);
        const findings = await audit(page);
        if (findings.length) found[route] = findings;
      }
      return found;
    }

    it('when signed out, then the public routes have no serious or critical finding', async () => {
      const { context, page } = await contextFor();
      const found = await auditRoutes(page, [
        '/app/',
        `/app/products/${productId}`,
        '/app/sign-in',
        '/app/sign-up',
        '/app/nowhere',
        '/app/cart',
      ]);
      // The audit itself must be able to fail: an unlabelled input is a critical finding.
      await page.evaluate(`document.body.insertAdjacentHTML('beforeend', '<input id="control-without-label">')`);
      const control = await audit(page);
      await context.close();
      expect(found).toEqual({});
      expect(control.join('\n')).toMatch(/critical label:.*#control-without-label/);
    }, 90_000);

    it('when a form shows a validation problem, then it has no serious or critical finding and focus is on the bad field', async () => {
      const { context, page } = await contextFor();
      await page.goto('/app/sign-up');
      await page.getByLabel('Name').fill('Someone');
      await page.getByLabel('Email').fill('someone@test.local');
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('alert').waitFor(WAIT);
      const password = page.getByLabel('Password');
      await expect(password.getAttribute('aria-invalid')).resolves.toBe('true');
      await expect(page.evaluate('document.activeElement.id')).resolves.toBe(await password.getAttribute('id'));
      const described = await password.getAttribute('aria-describedby');
      expect(described).toMatch(/error/);
      expect(await audit(page)).toEqual([]);
      await context.close();
      // The 400 is the point of this test.
      problems.splice(0, problems.length, ...problems.filter((p) => !/auth\/register|status of 400/.test(p)));
    }, 60_000);

    it('when signed in as a customer, then every screen has no serious or critical finding', async () => {
      const { context, page } = await contextFor({ email: customer.email, password: DEFAULT_PASSWORD });
      const found = await auditRoutes(page, [
        '/app/',
        '/app/cart',
        '/app/checkout',
        '/app/orders',
        `/app/orders/${orderId}`,
        '/app/chat',
        `/app/chat/${roomId}`,
        '/app/todos',
        '/app/files',
      ]);
      await context.close();
      expect(found).toEqual({});
    }, 120_000);

    it('when signed in as an admin, then the admin screens have no serious or critical finding', async () => {
      const { context, page } = await contextFor(ADMIN);
      const found = await auditRoutes(page, ['/app/admin', '/app/admin/users', '/app/admin/products', '/app/admin/orders']);
      await page
        .getByRole('button', { name: /^Open order/ })
        .first()
        .click();
      await page.getByRole('heading', { name: /^Order #/ }).waitFor(WAIT);
      const detail = await audit(page);
      await context.close();
      expect(found).toEqual({});
      expect(detail).toEqual([]);
    }, 90_000);

    it('then no page had a failed request or a console error', () => {
      expect(problems).toEqual([]);
    });
  });
});
