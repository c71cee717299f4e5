import type { Browser, BrowserContext } from 'playwright-core';
import { describeViolation, launchChromium, seriousViolations, SCREENSHOTS, gotoHydrated } from '../browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { createPaymentsClient } from '../../client/index.js';
import type { Listening } from '../../runtime/listen.js';
import { ensureDashboardBuilt, startDashboard } from '../../web/serve.js';
import { startTestSystem, type TestSystem } from '../harness.js';

/** The refund panel of a payment's page in Chromium: refund part, then the rest; a bad amount; accessibility. */

let system: TestSystem;
let web: Listening;
let browser: Browser;
let signedIn: BrowserContext;
let api: ReturnType<typeof createPaymentsClient>;

beforeAll(async () => {
  await ensureDashboardBuilt();
  system = await startTestSystem();
  web = await startDashboard({ port: 0, host: '127.0.0.1', env: { API_URL: system.apiUrl } });
  const merchant = await createMerchant(system.database.db, 'Dashboard refunds merchant');
  api = createPaymentsClient({ url: system.apiUrl, apiKey: merchant.apiKey.key });
  browser = await launchChromium();
  signedIn = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  await signedIn.addCookies([{ name: 'payments_api_key', value: merchant.apiKey.key, url: web.url }]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await system?.stop();
});

async function completedPayment(): Promise<string> {
  const { id } = await api.payments.create.mutate({ amount: 1234, currency: 'EUR', delaySeconds: 0 });
  await system.temporal.workflow.getHandle(id).result();
  return id;
}

describe('refunds in the dashboard', () => {
  it('refunds part with a reason, then the rest; the list and the amount refunded follow, and the form goes', async () => {
    const id = await completedPayment();
    const page = await signedIn.newPage();
    await gotoHydrated(page, `${web.url}/payments/${id}`);
    const panel = page.getByTestId('refunds');
    await panel.getByLabel('Amount (EUR)').fill('2.34');
    await panel.getByLabel('Reason').fill('one item damaged');
    await panel.getByRole('button', { name: 'Refund' }).click();
    await expect.poll(() => panel.getByTestId('refund').count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => panel.getByTestId('refund').first().innerText()).toMatch(/€2\.34\s+succeeded\s+one item damaged/);
    expect(await page.getByTestId('amount-refunded').innerText()).toBe('€2.34');
    expect(await page.getByTestId('status').innerText()).toBe('Partially refunded');
    expect((await seriousViolations(page)).map(describeViolation)).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOTS}/refunds-desktop.png`, fullPage: true });

    await panel.getByLabel('Reason').fill('order canceled');
    await panel.getByRole('button', { name: 'Refund' }).click();
    await expect.poll(() => panel.getByTestId('refund').count(), { timeout: 15_000 }).toBe(2);
    await expect.poll(() => page.getByTestId('status').innerText()).toBe('Refunded');
    expect(await page.getByTestId('amount-refunded').innerText()).toBe('€12.34');
    expect(await panel.getByRole('button', { name: 'Refund' }).count()).toBe(0);
    expect((await api.payments.refunds.query({ id })).map((r) => r.amount)).toEqual([234, 1000]);

    await page.setViewportSize({ width: 375, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.close();
  });

  it('an amount that is not one, or above what is left, is refused with a message and nothing is refunded', async () => {
    const id = await completedPayment();
    const page = await signedIn.newPage();
    await gotoHydrated(page, `${web.url}/payments/${id}`);
    const panel = page.getByTestId('refunds');
    await panel.getByLabel('Amount (EUR)').fill('abc');
    await panel.getByLabel('Reason').fill('typo');
    await panel.getByRole('button', { name: 'Refund' }).click();
    await expect.poll(() => panel.getByTestId('refund-error').textContent()).toContain('"abc" is not an amount');
    await panel.getByLabel('Amount (EUR)').fill('20');
    await panel.getByLabel('Reason').fill('too much');
    await panel.getByRole('button', { name: 'Refund' }).click();
    await expect.poll(() => panel.getByTestId('refund-error').textContent()).toContain('amount: 2000 is more than the 1234 EUR left');
    expect(await api.payments.refunds.query({ id })).toEqual([]);
    await page.close();
  });
});
