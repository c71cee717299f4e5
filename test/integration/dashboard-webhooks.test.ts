import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeViolation, launchChromium, seriousViolations, until, SCREENSHOTS } from '../browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { createPaymentsClient } from '../../client/index.js';
import type { Listening } from '../../runtime/listen.js';
import { ensureDashboardBuilt, startDashboard } from '../../web/serve.js';
import { startTestSystem, type TestSystem } from '../harness.js';

/**
 * The Webhooks pages in Chromium: an endpoint's delivery health and message log with attempts,
 * editing, deleting, rotating a secret (with the overlap notice) and revealing the default secret,
 * each destructive step behind its dialog; axe-core finds no serious violation on the pages.
 */
const KEY_COOKIE = 'payments_api_key';

let system: TestSystem;
let web: Listening;
let receiver: Server;
let receiverUrl: string;
let browser: Browser;
let merchant: { key: string; api: ReturnType<typeof createPaymentsClient> };
let signedIn: BrowserContext;
/** An endpoint whose receiver always answers 500 "no", with one dead-lettered test message. */
let failing: string;

beforeAll(async () => {
  await ensureDashboardBuilt();
  system = await startTestSystem();
  web = await startDashboard({ port: 0, host: '127.0.0.1', env: { API_URL: system.apiUrl } });
  receiver = createServer((_req, res) => res.writeHead(500).end('no'));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  const created = await createMerchant(system.database.db, 'Webhooks page merchant');
  merchant = { key: created.apiKey.key, api: createPaymentsClient({ url: system.apiUrl, apiKey: created.apiKey.key }) };
  failing = (await merchant.api.webhooks.createEndpoint.mutate({ url: receiverUrl, eventTypes: [], description: 'always fails' })).id;
  await merchant.api.webhooks.sendTest.mutate({ id: failing });
  await until(
    () => merchant.api.webhooks.listMessages.query({ endpointId: failing, status: 'failed' }),
    (m) => m.length === 1,
    'the dead-lettered test message',
  );

  browser = await launchChromium();
  signedIn = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  await signedIn.addCookies([{ name: KEY_COOKIE, value: merchant.key, url: web.url }]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await system?.stop();
});

/** Presses a button that asks first, then the dialog's confirming button. */
async function confirmed(page: Page, button: string, confirmLabel: string) {
  await page.getByRole('button', { name: button, exact: true }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: confirmLabel, exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
}

const newEndpoint = (description: string) =>
  merchant.api.webhooks.createEndpoint.mutate({ url: receiverUrl, eventTypes: [], description }).then((e) => e.id);

describe('the Webhooks pages', () => {
  it('show an endpoint’s health and message log with attempts and response excerpts, without serious accessibility violations', async () => {
    const page = await signedIn.newPage();
    try {
      await page.goto(`${web.url}/webhooks/${failing}`);
      expect(await page.getByTestId('success-rate').textContent()).toMatch(/0 %\s+of the last 4 attempts/);
      expect(await page.getByTestId('failed-messages').textContent()).toBe('1');
      expect(await page.getByTestId('last-error').textContent()).toMatch(/receiver answered HTTP 500/);
      const attempts = page.getByTestId('attempts').first();
      await attempts.locator('summary').click();
      expect(await attempts.locator('summary').textContent()).toBe('4 attempts');
      expect(await attempts.locator('li').first().textContent()).toMatch(/HTTP 500/);
      expect(await attempts.locator('pre.excerpt').first().textContent()).toBe('no');
      const problems = [...(await seriousViolations(page)).map((v) => `detail: ${describeViolation(v)}`)];
      await page.screenshot({ path: `${SCREENSHOTS}/webhook-detail-health-desktop.png`, fullPage: true });
      await page.goto(`${web.url}/webhooks`);
      problems.push(...(await seriousViolations(page)).map((v) => `list: ${describeViolation(v)}`));
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('edits URL, description and event types, and shows the API refusing an internal URL', async () => {
    const id = await newEndpoint('to edit');
    const page = await signedIn.newPage();
    try {
      await page.goto(`${web.url}/webhooks/${id}`);
      const form = page.getByRole('form', { name: 'Edit endpoint' });
      await form.getByLabel('URL').fill('http://169.254.169.254/latest');
      await form.getByRole('button', { name: 'Save' }).click();
      expect(await page.getByRole('alert').textContent()).toMatch(/^url: .*internal address 169\.254\.169\.254/);
      expect((await merchant.api.webhooks.getEndpoint.query({ id })).url).toBe(receiverUrl);

      await form.getByLabel('URL').fill(`${receiverUrl}/edited`);
      await form.getByLabel('Description').fill('edited');
      await form.getByLabel('payment.completed').check();
      await form.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Endpoint saved.').waitFor();
      expect(await merchant.api.webhooks.getEndpoint.query({ id })).toMatchObject({
        url: `${receiverUrl}/edited`,
        description: 'edited',
        eventTypes: ['payment.completed'],
      });
      // The form shows what is stored after the reload.
      await page.reload();
      expect(await form.getByLabel('payment.completed').isChecked()).toBe(true);
      expect(await form.getByLabel('payment.created').isChecked()).toBe(false);
    } finally {
      await page.close();
    }
  });

  it('deletes an endpoint after asking, and "Keep" keeps it', async () => {
    const id = await newEndpoint('to delete');
    const page = await signedIn.newPage();
    try {
      await page.goto(`${web.url}/webhooks/${id}`);
      await confirmed(page, 'Delete endpoint', 'Keep');
      expect((await merchant.api.webhooks.getEndpoint.query({ id })).id).toBe(id);

      await confirmed(page, 'Delete endpoint', 'Delete');
      await page.waitForURL(`${web.url}/webhooks?deleted=${id}`);
      expect(await page.getByTestId('deleted').textContent()).toContain(id);
      await expect(merchant.api.webhooks.getEndpoint.query({ id })).rejects.toThrow(/no webhook endpoint/);
      expect(await page.locator(`tr[data-endpoint-id="${id}"]`).count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('rotates a secret after asking, shows the new one once and until when the old one still verifies', async () => {
    const id = await newEndpoint('to rotate');
    const page = await signedIn.newPage();
    try {
      await page.goto(`${web.url}/webhooks/${id}`);
      const before = (await merchant.api.webhooks.endpointSecret.query({ id })).secret;
      await confirmed(page, 'Rotate secret', 'Rotate secret');
      const shown = await page.getByTestId('secret').textContent();
      const { secret, previousSecretExpiresAt } = await merchant.api.webhooks.endpointSecret.query({ id });
      expect(shown).toBe(secret);
      expect(shown).not.toBe(before);
      const notice = page.getByTestId('overlap');
      expect(await notice.textContent()).toMatch(/previous secret still verifies until .* UTC/);
      expect(await notice.locator('time').getAttribute('datetime')).toBe(previousSecretExpiresAt);
      expect(Date.parse(previousSecretExpiresAt!) - Date.now()).toBeGreaterThan(23 * 3_600_000);
      expect(await seriousViolations(page)).toEqual([]);
      // Shown once: a reload does not show it again.
      await page.reload();
      expect(await page.getByTestId('secret').count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('reveals the default secret after asking, and rotates it with the overlap notice', async () => {
    const page = await signedIn.newPage();
    try {
      await page.goto(`${web.url}/webhooks`);
      expect(await page.getByTestId('secret').count()).toBe(0);
      await confirmed(page, 'Reveal default secret', 'Reveal');
      const revealed = await page.getByTestId('secret').textContent();
      expect(revealed).toBe((await merchant.api.webhooks.defaultSecret.query()).secret);
      expect(await page.getByTestId('overlap').count()).toBe(0);

      await confirmed(page, 'Rotate default secret', 'Rotate secret');
      // The revealed secret had no overlap notice: its appearance is the rotation's answer arriving.
      await page.getByTestId('overlap').waitFor();
      const rotated = await page.getByTestId('secret').textContent();
      expect(rotated).not.toBe(revealed);
      expect(rotated).toBe((await merchant.api.webhooks.defaultSecret.query()).secret);
      expect(await page.getByTestId('overlap').textContent()).toMatch(/previous secret still verifies until/);
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: `${SCREENSHOTS}/webhooks-default-secret-desktop.png`, fullPage: true });
    } finally {
      await page.close();
    }
  });
});
