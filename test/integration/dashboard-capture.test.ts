import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium, gotoHydrated } from '../browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { createPaymentsClient } from '../../client/index.js';
import type { Listening } from '../../runtime/listen.js';
import { ensureDashboardBuilt, startDashboard } from '../../web/serve.js';
import { startTestSystem, waitFor, type TestSystem } from '../harness.js';

/**
 * Manual capture in the dashboard, in Chromium: the create form's capture method, the capture panel
 * of a payment awaiting capture (a partial amount typed in major units), and void.
 */
const KEY_COOKIE = 'payments_api_key';

let system: TestSystem;
let web: Listening;
let browser: Browser;
let signedIn: BrowserContext;
let api: ReturnType<typeof createPaymentsClient>;

beforeAll(async () => {
  await ensureDashboardBuilt();
  system = await startTestSystem();
  web = await startDashboard({ port: 0, host: '127.0.0.1', env: { API_URL: system.apiUrl } });
  const merchant = await createMerchant(system.database.db, 'Capture dashboard merchant');
  api = createPaymentsClient({ url: system.apiUrl, apiKey: merchant.apiKey.key });
  browser = await launchChromium();
  signedIn = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  await signedIn.addCookies([{ name: KEY_COOKIE, value: merchant.apiKey.key, url: web.url }]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await system?.stop();
});

const awaitingCapture = (id: string) =>
  waitFor(async () => (await api.payments.get.query({ id })).status === 'requires_capture', `${id} to await capture`);

describe('manual capture in the dashboard', () => {
  it('creates a manual payment from the form; its capture panel captures 4.50 of 12.00; the page shows what was captured', async () => {
    const page = await signedIn.newPage();
    await gotoHydrated(page, `${web.url}/payments/new`);
    await page.fill('input[name=amount]', '12.00');
    await page.fill('input[name=currency]', 'EUR');
    await page.fill('input[name=delaySeconds]', '0');
    await page.selectOption('select[name=captureMethod]', 'manual');
    await Promise.all([page.waitForURL(/\/payments\/pay_/), page.getByRole('button', { name: 'Create payment' }).click()]);
    const id = page.url().split('/').pop()!;
    expect((await api.payments.get.query({ id })).captureMethod).toBe('manual');
    await awaitingCapture(id);

    await gotoHydrated(page, page.url());
    const panel = page.getByTestId('capture-panel');
    await panel.waitFor();
    // The whole authorization is offered by default.
    expect(await page.getByTestId('capture-amount').inputValue()).toBe('12.00');
    await page.getByTestId('capture-amount').fill('4.50');
    await panel.getByRole('button', { name: 'Capture' }).click();
    await page.getByTestId('captured-amount').waitFor();
    expect(await page.getByTestId('captured-amount').textContent()).toContain('4.50');
    expect(await page.getByTestId('status').textContent()).toMatch(/completed/i);
    expect(await page.getByTestId('capture-panel').count()).toBe(0);
    expect(await api.payments.get.query({ id })).toMatchObject({ status: 'completed', capturedAmount: 450 });
    await page.close();
  });

  it('an amount above the authorization is refused with the reason, and void cancels the payment after confirmation', async () => {
    const { id } = await api.payments.create.mutate({ amount: 800, currency: 'USD', delaySeconds: 0, captureMethod: 'manual' });
    await awaitingCapture(id);
    const page = await signedIn.newPage();
    await gotoHydrated(page, `${web.url}/payments/${id}`);
    await page.getByTestId('capture-amount').fill('9.00');
    await page.getByTestId('capture-panel').getByRole('button', { name: 'Capture' }).click();
    // The page's own alert (the layout may hold others).
    const alert = page.locator('p.error[role=alert]');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/at most the authorized 800/);

    await page.getByRole('button', { name: 'Void authorization' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Void authorization' }).click();
    await waitFor(async () => (await api.payments.get.query({ id })).status === 'canceled', 'the void');
    await page
      .getByTestId('status')
      .filter({ hasText: /canceled/i })
      .waitFor();
    expect(await api.payments.get.query({ id })).toMatchObject({ status: 'canceled', compensated: true, capturedAmount: null });
    await page.close();
  });
});
