import type { Browser, BrowserContext } from 'playwright-core';
import { describeViolation, launchChromium, seriousViolations, gotoHydrated } from '../browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { createPaymentsClient } from '../../client/index.js';
import type { Listening } from '../../runtime/listen.js';
import { ensureDashboardBuilt, startDashboard } from '../../web/serve.js';
import { startTestSystem, type TestSystem } from '../harness.js';

/** The amend form of a pending payment's page, in Chromium against the real API and workflow. */

let system: TestSystem;
let web: Listening;
let browser: Browser;
let signedIn: BrowserContext;
let api: ReturnType<typeof createPaymentsClient>;
let apiKey: string;

beforeAll(async () => {
  await ensureDashboardBuilt();
  system = await startTestSystem();
  web = await startDashboard({ port: 0, host: '127.0.0.1', env: { API_URL: system.apiUrl } });
  const merchant = await createMerchant(system.database.db, 'Amend merchant');
  apiKey = merchant.apiKey.key;
  api = createPaymentsClient({ url: system.apiUrl, apiKey });
  browser = await launchChromium();
  signedIn = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  await signedIn.addCookies([{ name: 'payments_api_key', value: merchant.apiKey.key, url: web.url }]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await system?.stop();
});

describe('amend form', () => {
  it('open, fits a 375 px phone without sideways scrolling', async () => {
    const created = await api.payments.create.mutate({ amount: 4200, currency: 'EUR', delaySeconds: 3600, description: 'phone' });
    const phone = await browser.newContext({ viewport: { width: 375, height: 800 }, isMobile: true });
    await phone.addCookies([{ name: 'payments_api_key', value: apiKey, url: web.url }]);
    const page = await phone.newPage();
    try {
      await gotoHydrated(page, `${web.url}/payments/${created.id}`);
      await page.getByText('Amend payment').click();
      await page.getByRole('form', { name: 'Amend the payment' }).getByLabel('Amount').waitFor();
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(375);
      expect((await seriousViolations(page)).map(describeViolation)).toEqual([]);
    } finally {
      await phone.close();
      await api.payments.cancel.mutate({ id: created.id });
    }
  });

  it('amends a pending payment: the page, the timeline and the API show the new values; a bad field is named beside it', async () => {
    const created = await api.payments.create.mutate({ amount: 4200, currency: 'EUR', delaySeconds: 3600, description: 'before' });
    const page = await signedIn.newPage();
    try {
      await gotoHydrated(page, `${web.url}/payments/${created.id}`);
      await page.getByText('Amend payment').click();
      const form = page.getByRole('form', { name: 'Amend the payment' });
      expect(await form.getByLabel('Amount').inputValue()).toBe('42.00');
      expect((await seriousViolations(page)).map(describeViolation)).toEqual([]);

      // A field the form cannot read is named beside it, and nothing is sent.
      await form.getByLabel('Metadata (JSON)').fill('[1]');
      await form.getByRole('button', { name: 'Save changes' }).click();
      expect(await form.locator('#amend-metadata-error').textContent({ timeout: 15_000 })).toMatch(/Metadata must be a JSON object/);
      expect((await api.payments.get.query({ id: created.id })).version).toBe(1);

      await form.getByLabel('Metadata (JSON)').fill('{"orderId": "B-2"}');
      await form.getByLabel('Amount').fill('50.25');
      await form.getByLabel(/^Description/).fill('after');
      await form.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText('Payment amended').waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('details').textContent()).toContain('after');
      const amended = await api.payments.get.query({ id: created.id });
      expect(amended).toMatchObject({ amount: 5025, currency: 'EUR', description: 'after', metadata: { orderId: 'B-2' }, version: 2 });
      expect(await page.locator('.facts').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('4200 → 5025')]));
    } finally {
      await page.close();
      await api.payments.cancel.mutate({ id: created.id });
    }
  });
});
