import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium } from '../browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { createPaymentsClient } from '../../client/index.js';
import type { Listening } from '../../runtime/listen.js';
import { ensureDashboardBuilt, startDashboard } from '../../web/serve.js';
import { startTestSystem, type TestSystem } from '../harness.js';

/** The dashboard's events page (/activity) in Chromium: type filter and paging both ways. */

let system: TestSystem;
let web: Listening;
let browser: Browser;
let signedIn: BrowserContext;

beforeAll(async () => {
  await ensureDashboardBuilt();
  system = await startTestSystem();
  web = await startDashboard({ port: 0, host: '127.0.0.1', env: { API_URL: system.apiUrl } });
  const created = await createMerchant(system.database.db, 'Events page merchant');
  const api = createPaymentsClient({ url: system.apiUrl, apiKey: created.apiKey.key });
  // 9 payments of 3 events each: 27 events, one more page than the 25 shown.
  const ids = await Promise.all(
    Array.from({ length: 9 }, async () => (await api.payments.create.mutate({ amount: 500, currency: 'EUR', delaySeconds: 0 })).id),
  );
  await Promise.all(ids.map((id) => system.temporal.workflow.getHandle(id).result()));
  browser = await launchChromium();
  signedIn = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  await signedIn.addCookies([{ name: 'payments_api_key', value: created.apiKey.key, url: web.url }]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await system?.stop();
});

describe('events page', () => {
  it('pages older and back newer, and filters by type', async () => {
    const page = await signedIn.newPage();
    await page.goto(`${web.url}/activity`);
    const rows = page.getByTestId('event-row');
    await expect.poll(() => rows.count()).toBe(25);
    expect(await page.getByTestId('newer').count()).toBe(0);
    const newestFirst = await rows.first().getAttribute('data-type');
    expect(newestFirst).toBe('payment.completed');

    await page.getByTestId('older').click();
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.getByTestId('older').count()).toBe(0);
    await page.getByTestId('newer').click();
    await expect.poll(() => rows.count()).toBe(25);
    expect(await rows.first().getAttribute('data-type')).toBe(newestFirst);

    await page.goto(`${web.url}/activity`);
    await page.getByLabel('payment.completed', { exact: true }).check();
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rows.count()).toBe(9);
    expect(new Set(await rows.evaluateAll((r) => r.map((e) => e.getAttribute('data-type'))))).toEqual(new Set(['payment.completed']));
    expect(page.url()).toContain('types=payment.completed');
  });
});
