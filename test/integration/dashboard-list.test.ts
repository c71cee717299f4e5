import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, seriousViolations } from '../browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { paymentReference } from '../../common/payment-id.js';
import { ulid } from '../../common/ulid.js';
import type { PaymentStatus } from '../../common/vocabulary.js';
import { payments } from '../../db/schema.js';
import type { Listening } from '../../runtime/listen.js';
import { ensureDashboardBuilt, startDashboard } from '../../web/serve.js';
import { startTestSystem, type TestSystem } from '../harness.js';

/**
 * The payments list in Chromium: sorting by a column header, paging both ways with its position
 * and total under a filter, search through the API's `q`, and the merchant's name in the header.
 * Rows are written straight into the read model for a merchant of their own, so every count is exact.
 */
const KEY_COOKIE = 'payments_api_key';
/** SvelteKit changes the URL before the new page is on screen: what follows a navigation is polled, with a deadline. */
const POLL = { timeout: 10_000, interval: 100 };
const MERCHANT_NAME = 'List page merchant';

let system: TestSystem;
let web: Listening;
let browser: Browser;
let signedIn: BrowserContext;
type Seeded = { id: string; amount: number; status: PaymentStatus; description: string | null };
const seeded: Seeded[] = [];
const ROWS = 32;

beforeAll(async () => {
  await ensureDashboardBuilt();
  system = await startTestSystem();
  web = await startDashboard({ port: 0, host: '127.0.0.1', env: { API_URL: system.apiUrl } });
  const merchant = await createMerchant(system.database.db, MERCHANT_NAME);
  const base = Date.parse('2026-03-01T12:00:00Z');
  for (let i = 0; i < ROWS; i++) {
    const id = `pay_${ulid()}`;
    const row: Seeded = {
      id,
      // Not in creation order (else sorting by amount would look right while ignored), each amount twice.
      amount: 1000 + ((i * 7) % 16) * 37,
      status: i % 8 === 0 ? 'failed' : 'pending',
      description: i % 5 === 0 ? `Team lunch ${i}` : null,
    };
    seeded.push(row);
    await system.database.db.insert(payments).values({
      ...row,
      merchantId: merchant.id,
      reference: paymentReference(id),
      currency: 'EUR',
      delaySeconds: 3600,
      scheduledAt: new Date(base + 3600_000),
      data: {},
      version: 1,
      createdAt: new Date(base + i * 1000),
      updatedAt: new Date(base + i * 1000),
    });
  }
  browser = await launchChromium();
  signedIn = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  await signedIn.addCookies([{ name: KEY_COOKIE, value: merchant.apiKey.key, url: web.url }]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await system?.stop();
});

const shownIds = (page: Page) =>
  page.locator('tr[data-payment-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-payment-id')));
const position = async (page: Page) => (await page.getByTestId('position').textContent())?.replace(/\s+/g, ' ').trim();

/** Largest amount first, ties newest id first: what the list should show when sorted by amount, descending. */
const byAmountDesc = (rows: Seeded[]) => [...rows].sort((a, b) => b.amount - a.amount || (a.id < b.id ? 1 : -1)).map((r) => r.id);

describe('payments list', () => {
  it('names the signed-in merchant in the header; without a key, the demo merchant', async () => {
    const page = await signedIn.newPage();
    await page.goto(`${web.url}/payments`);
    expect(await page.getByTestId('merchant-name').textContent()).toBe(MERCHANT_NAME);
    await page.close();
    const demo = await browser.newPage();
    await demo.goto(`${web.url}/payments`);
    expect(await demo.getByTestId('merchant').textContent()).toBe('Demo merchant');
    await demo.close();
  });

  it('sorts by amount from its column header, both ways, with aria-sort, and passes axe', async () => {
    const page = await signedIn.newPage();
    await page.goto(`${web.url}/payments`);
    const amount = page.getByRole('columnheader', { name: /Amount/ });
    expect(await amount.getAttribute('aria-sort')).toBe('none');
    expect(await page.getByRole('columnheader', { name: /Created/ }).getAttribute('aria-sort')).toBe('descending');
    await amount.getByRole('link').click();
    await page.waitForURL(/sort=amount&dir=desc/);
    await expect.poll(() => shownIds(page), POLL).toEqual(byAmountDesc(seeded).slice(0, 25));
    expect(await page.getByRole('columnheader', { name: /Amount/ }).getAttribute('aria-sort')).toBe('descending');
    expect(await position(page)).toBe(`Page 1 · payments 1–25 of ${ROWS} · largest amount first`);
    expect(await seriousViolations(page)).toEqual([]);

    await page
      .getByRole('columnheader', { name: /Amount/ })
      .getByRole('link')
      .click();
    await page.waitForURL(/sort=amount&dir=asc/);
    await expect.poll(() => shownIds(page), POLL).toEqual(byAmountDesc(seeded).reverse().slice(0, 25));
    expect(await page.getByRole('columnheader', { name: /Amount/ }).getAttribute('aria-sort')).toBe('ascending');
    await page.close();
  });

  it('pages on and back under a filter and a sort, with the position and total of the filtered set', async () => {
    const pending = seeded.filter((r) => r.status === 'pending');
    const expected = byAmountDesc(pending);
    const page = await signedIn.newPage();
    await page.goto(`${web.url}/payments?status=pending&sort=amount&dir=desc`);
    const first = await shownIds(page);
    expect(first).toEqual(expected.slice(0, 25));
    expect(await position(page)).toBe(`Page 1 · payments 1–25 of ${pending.length} · largest amount first`);
    expect(await page.getByRole('link', { name: '← Previous' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForURL(/page=2/);
    await expect
      .poll(() => position(page), POLL)
      .toBe(`Page 2 · payments 26–${pending.length} of ${pending.length} · largest amount first`);
    expect(await shownIds(page)).toEqual(expected.slice(25));
    expect(await page.getByRole('link', { name: 'Next →' }).count()).toBe(0);

    await page.getByRole('link', { name: '← Previous' }).click();
    await page.waitForURL((url) => !url.searchParams.has('page'));
    await expect.poll(() => position(page), POLL).toBe(`Page 1 · payments 1–25 of ${pending.length} · largest amount first`);
    expect(await shownIds(page)).toEqual(first);
    // The filter form keeps the order when the filter changes.
    expect(new URL(page.url()).searchParams.get('sort')).toBe('amount');
    await page.close();
  });

  it('searches by an id beginning in lower case and by a word of the description, and clears the filters', async () => {
    const page = await signedIn.newPage();
    const target = seeded[7]!;
    const prefix = target.id.slice(0, 24);
    // By URL, as the form sends it: typing before the page has hydrated would be undone by hydration.
    await page.goto(`${web.url}/payments?q=${prefix.toLowerCase()}`);
    expect(await page.getByRole('searchbox').inputValue()).toBe(prefix.toLowerCase());
    const matching = seeded.filter((r) => r.id.startsWith(prefix)).map((r) => r.id);
    await expect.poll(async () => (await shownIds(page)).sort(), POLL).toEqual(matching.sort());
    expect(matching).toContain(target.id);
    expect(matching.length).toBeLessThan(ROWS);

    await page.goto(`${web.url}/payments?q=LUNCH`);
    const lunch = seeded.filter((r) => r.description?.includes('lunch'));
    expect((await shownIds(page)).sort()).toEqual(lunch.map((r) => r.id).sort());
    expect(await position(page)).toBe(`Page 1 · payments 1–${lunch.length} of ${lunch.length} · newest first`);
    await page.getByTestId('clear-filters').click();
    await page.waitForURL(`${web.url}/payments`);
    await expect.poll(() => position(page), POLL).toBe(`Page 1 · payments 1–25 of ${ROWS} · newest first`);
    await page.close();
  });
});
