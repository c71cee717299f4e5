import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { createPaymentsClient } from '../../client/index.js';
import { newMasterKeyEntry } from '../../common/credential-box.js';
import type { Listening } from '../../runtime/listen.js';
import { ensureDashboardBuilt, startDashboard } from '../../web/serve.js';
import { describeViolation, gotoHydrated, launchChromium, seriousViolations, SCREENSHOTS, until } from '../browser.js';
import { startTestSystem, type TestSystem } from '../harness.js';

/**
 * The Connectors page in Chromium: the route in order with its rules in words and only a hint of
 * the credentials, adding one (the secret typed into a password field and never shown back),
 * moving, and removing behind the confirmation dialog; axe-core finds no serious violation.
 */
const KEY_COOKIE = 'payments_api_key';
const SEEDED_SECRET = 'sk_test_seededsecretvalue1111';
const TYPED_SECRET = 'rk_live_typedinthebrowser2222';

let system: TestSystem;
let web: Listening;
let browser: Browser;
let merchant: { key: string; api: ReturnType<typeof createPaymentsClient> };
let signedIn: BrowserContext;

beforeAll(async () => {
  await ensureDashboardBuilt();
  system = await startTestSystem({ env: { CONNECTOR_KEYS: newMasterKeyEntry('page') } });
  web = await startDashboard({ port: 0, host: '127.0.0.1', env: { API_URL: system.apiUrl } });
  const created = await createMerchant(system.database.db, 'Connectors page merchant');
  merchant = { key: created.apiKey.key, api: createPaymentsClient({ url: system.apiUrl, apiKey: created.apiKey.key }) };
  await merchant.api.connectors.create.mutate({
    kind: 'simulator',
    label: 'Sim A',
    rules: { currencies: ['EUR', 'USD'], maxAmount: 5000 },
  });
  await merchant.api.connectors.create.mutate({
    kind: 'stripe',
    label: 'Stripe EU',
    credentials: { secretKey: SEEDED_SECRET },
    rules: { paymentMethodTypes: ['card'] },
  });
  browser = await launchChromium();
  signedIn = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  await signedIn.addCookies([{ name: KEY_COOKIE, value: merchant.key, url: web.url }]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await system?.stop();
});

const rowLabels = (page: Page) => page.locator('tr[data-connector-id] strong').allTextContents();
const labelsInApi = async () => (await merchant.api.connectors.list.query()).map((a) => `${a.position} ${a.label}`);

describe('the Connectors page', () => {
  it('lists the route in order with rules in words and only a hint of the credentials, without serious accessibility violations', async () => {
    const page = await signedIn.newPage();
    try {
      await gotoHydrated(page, `${web.url}/connectors`);
      expect(await page.getByRole('link', { name: 'Connectors' }).getAttribute('aria-current')).toBe('page');
      expect(await rowLabels(page)).toEqual(['Sim A', 'Stripe EU']);
      const table = page.getByRole('table', { name: 'Connector accounts' });
      expect(await table.textContent()).toContain('currency EUR or USD, amount at most 5000 (minor units), any payment method');
      expect(await table.textContent()).toContain('any currency, any amount, paid by card');
      expect(await table.textContent()).toContain('sk_test_…1111');
      expect(await page.content()).not.toContain(SEEDED_SECRET);
      const problems = (await seriousViolations(page)).map(describeViolation);
      await page.screenshot({ path: `${SCREENSHOTS}/connectors-desktop.png`, fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('fits a 375 px phone without serious accessibility violations', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 800 }, isMobile: true });
    await phone.addCookies([{ name: KEY_COOKIE, value: merchant.key, url: web.url }]);
    const page = await phone.newPage();
    try {
      await gotoHydrated(page, `${web.url}/connectors`);
      const problems = (await seriousViolations(page)).map(describeViolation);
      const scrollWidth = await page.evaluate(() => document.scrollingElement!.scrollWidth);
      if (scrollWidth > 375) problems.push(`${scrollWidth} px wide`);
      await page.screenshot({ path: `${SCREENSHOTS}/connectors-phone.png`, fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await phone.close();
    }
  });

  it('adds a stripe account from a password field, refuses a bad key naming the rule, and never shows the key back', async () => {
    const page = await signedIn.newPage();
    try {
      await gotoHydrated(page, `${web.url}/connectors`);
      const form = page.getByRole('form', { name: 'Add a connector' });
      expect(await form.getByLabel('Stripe secret key').getAttribute('type')).toBe('password');

      await form.getByLabel('Label').fill('Bad key');
      await form.getByLabel('Stripe secret key').fill('pk_test_publishablekey');
      await form.getByRole('button', { name: 'Add connector' }).click();
      expect(await page.getByRole('alert').textContent()).toMatch(/credentials\.secretKey: must be a Stripe secret or restricted key/);

      await form.getByLabel('Label').fill('Stripe US');
      await form.getByLabel('Stripe secret key').fill(TYPED_SECRET);
      await form.getByLabel('Currencies').fill('usd');
      await form.getByLabel('Minimum amount (minor units)').fill('100');
      await form.getByLabel('card').check();
      await form.getByRole('button', { name: 'Add connector' }).click();
      await page.getByText('Stripe US added at position 3.').waitFor();
      expect(await rowLabels(page)).toEqual(['Sim A', 'Stripe EU', 'Stripe US']);
      expect(await page.getByRole('table').textContent()).toContain('rk_live_…2222');
      // The form was reset: the key is neither in the page nor in its field.
      expect(await form.getByLabel('Stripe secret key').inputValue()).toBe('');
      expect(await page.content()).not.toContain(TYPED_SECRET);
      expect((await merchant.api.connectors.list.query())[2]).toMatchObject({
        label: 'Stripe US',
        rules: { currencies: ['USD'], minAmount: 100, maxAmount: null, paymentMethodTypes: ['card'] },
      });
    } finally {
      await page.close();
    }
  });

  it('moves an account and removes one behind the confirmation dialog', async () => {
    const page = await signedIn.newPage();
    try {
      await gotoHydrated(page, `${web.url}/connectors`);
      await page.getByRole('button', { name: 'Move Sim A down', exact: true }).click();
      await page.getByText('Sim A is now at position 2.').waitFor();
      expect(await labelsInApi()).toEqual(['1 Stripe EU', '2 Sim A', '3 Stripe US']);
      await until(
        () => rowLabels(page),
        (l) => l[0] === 'Stripe EU',
        'the list in its new order',
      );

      await page.getByRole('button', { name: 'Remove Sim A', exact: true }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      // "Keep" leaves it in place.
      await dialog.getByRole('button', { name: 'Keep', exact: true }).click();
      await dialog.waitFor({ state: 'hidden' });
      expect(await labelsInApi()).toHaveLength(3);

      await page.getByRole('button', { name: 'Remove Sim A', exact: true }).click();
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Remove connector', exact: true }).click();
      await page.getByText('Sim A removed; payments it took keep naming it.').waitFor();
      expect(await labelsInApi()).toEqual(['1 Stripe EU', '2 Stripe US']);
      expect(await rowLabels(page)).toEqual(['Stripe EU', 'Stripe US']);
    } finally {
      await page.close();
    }
  });

  it('axe does catch a serious violation on this page when one is there (negative control)', async () => {
    const page = await signedIn.newPage();
    try {
      await gotoHydrated(page, `${web.url}/connectors`);
      await page.evaluate(() => {
        const input = document.createElement('input');
        const button = document.createElement('button');
        // Outside the app's root, so hydration cannot replace them.
        document.body.append(input, button);
      });
      const ids = (await seriousViolations(page)).map((v) => v.id);
      expect(ids).toEqual(expect.arrayContaining(['label', 'button-name']));
    } finally {
      await page.close();
    }
  });
});
