import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { describeViolation, launchChromium, seriousViolations, until, SCREENSHOTS } from '../browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { createPaymentsClient } from '../../client/index.js';
import type { Listening } from '../../runtime/listen.js';
import { ensureDashboardBuilt, startDashboard } from '../../web/serve.js';
import { startTestSystem, type TestSystem } from '../harness.js';

/**
 * Every dashboard page in Chromium: accessibility (axe-core, no serious or critical violation), no
 * sideways scrolling at 375 px, a screenshot at desktop and phone width, and the behaviours of the
 * dashboard round (confirmation dialogs, form keys, search, paging, chart, empty state, 404s).
 */
const KEY_COOKIE = 'payments_api_key';

let system: TestSystem;
let web: Listening;
let receiver: Server;
let receiverUrl: string;
let browser: Browser;
/** A merchant of its own, so counts and pages are exact whatever else the database holds. */
let merchant: { id: string; key: string; api: ReturnType<typeof createPaymentsClient> };
let signedIn: BrowserContext;
const ids: { pending: string; completed: string; toCancel: string; endpoint: string } = {
  pending: '',
  completed: '',
  toCancel: '',
  endpoint: '',
};
const SEEDED = 28;

beforeAll(async () => {
  await ensureDashboardBuilt();
  system = await startTestSystem();
  web = await startDashboard({ port: 0, host: '127.0.0.1', env: { API_URL: system.apiUrl } });
  // A receiver that always fails, so an endpoint has failed messages to redeliver and replay.
  receiver = createServer((_req, res) => res.writeHead(500).end('no'));
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  const created = await createMerchant(system.database.db, 'Pages merchant');
  merchant = { id: created.id, key: created.apiKey.key, api: createPaymentsClient({ url: system.apiUrl, apiKey: created.apiKey.key }) };
  for (let i = 0; i < SEEDED - 3; i++)
    await merchant.api.payments.create.mutate({ amount: 100 + i, currency: 'EUR', delaySeconds: 3600, description: `seed ${i}` });
  ids.pending = (
    await merchant.api.payments.create.mutate({
      amount: 4200,
      currency: 'EUR',
      delaySeconds: 3600,
      description: 'pending one',
      metadata: { orderId: 'A-17' },
    })
  ).id;
  ids.toCancel = (
    await merchant.api.payments.create.mutate({ amount: 990, currency: 'USD', delaySeconds: 3600, description: 'to cancel' })
  ).id;
  ids.completed = (
    await merchant.api.payments.create.mutate({
      amount: 1234,
      currency: 'EUR',
      delaySeconds: 0,
      description: 'done',
      data: { order: 'A-18' },
    })
  ).id;
  await system.temporal.workflow.getHandle(ids.completed).result();
  const endpoint = await merchant.api.webhooks.createEndpoint.mutate({ url: receiverUrl, eventTypes: [], description: 'always fails' });
  ids.endpoint = endpoint.id;
  await merchant.api.webhooks.sendTest.mutate({ id: endpoint.id });

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

const pages = () => [
  { name: 'overview', path: '/' },
  { name: 'list', path: '/payments' },
  { name: 'detail', path: `/payments/${ids.completed}` },
  { name: 'detail-pending', path: `/payments/${ids.pending}` },
  { name: 'new-payment', path: '/payments/new' },
  { name: 'webhooks', path: '/webhooks' },
  { name: 'webhook-detail', path: `/webhooks/${ids.endpoint}` },
  { name: 'login', path: '/login' },
  { name: 'error', path: '/payments/pay_nope' },
];

describe('every dashboard page', () => {
  it('has no serious accessibility violation, fits a 375 px phone, and is screenshotted at both widths', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 800 }, isMobile: true });
    await phone.addCookies([{ name: KEY_COOKIE, value: merchant.key, url: web.url }]);
    const desktopPage = await signedIn.newPage();
    const phonePage = await phone.newPage();
    const problems: string[] = [];
    try {
      for (const { name, path } of pages()) {
        for (const [width, page] of [
          ['desktop', desktopPage],
          ['phone', phonePage],
        ] as const) {
          await page.goto(`${web.url}${path}`);
          await page.locator('main').waitFor();
          for (const v of await seriousViolations(page)) problems.push(`${name} (${width}): ${describeViolation(v)}`);
          if (width === 'phone') {
            const scrollWidth = await page.evaluate(() => document.scrollingElement!.scrollWidth);
            if (scrollWidth > 375) problems.push(`${name} (phone): ${scrollWidth} px wide`);
          }
          await page.screenshot({ path: `${SCREENSHOTS}/${name}-${width}.png`, fullPage: true });
        }
      }
    } finally {
      await phone.close();
      await desktopPage.close();
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it('axe does catch a serious violation when one is there (negative control)', async () => {
    const page = await signedIn.newPage();
    try {
      await page.goto(`${web.url}/payments`);
      await page.evaluate(() => {
        const img = document.createElement('img');
        img.src = '/favicon.svg';
        const button = document.createElement('button');
        // Outside the app's root, so hydration cannot replace them.
        document.body.append(img, button);
      });
      const ids = (await seriousViolations(page)).map((v) => v.id);
      expect(ids).toEqual(expect.arrayContaining(['image-alt', 'button-name']));
    } finally {
      await page.close();
    }
  });
});

describe('dashboard round', () => {
  it('names the merchant in the header: its key when signed in, "Demo merchant" without a key (no "Sign in" offered)', async () => {
    const page = await signedIn.newPage();
    await page.goto(`${web.url}/payments`);
    expect(await page.getByTestId('merchant').textContent()).toContain(merchant.key.slice(0, 11));
    expect(await page.getByTestId('merchant').textContent()).not.toContain(merchant.key);
    await page.close();
    const demo = await browser.newPage();
    await demo.goto(`${web.url}/payments`);
    expect(await demo.getByTestId('merchant').textContent()).toBe('Demo merchant');
    expect(await demo.getByRole('link', { name: 'Sign in' }).count()).toBe(0);
    await demo.close();
  });

  it('an empty overview invites to create the first payment', async () => {
    const empty = await createMerchant(system.database.db, 'Empty merchant');
    const context = await browser.newContext();
    await context.addCookies([{ name: KEY_COOKIE, value: empty.apiKey.key, url: web.url }]);
    const page = await context.newPage();
    await page.goto(`${web.url}/`);
    const cta = page.getByTestId('empty-state').getByRole('button', { name: 'Create your first payment' });
    expect(await cta.getAttribute('href')).toBe('/payments/new');
    await page.screenshot({ path: `${SCREENSHOTS}/overview-empty-desktop.png`, fullPage: true });
    await context.close();
    // Negative control: a merchant with payments has no such invitation.
    const full = await signedIn.newPage();
    await full.goto(`${web.url}/`);
    expect(await full.getByTestId('empty-state').count()).toBe(0);
    await full.close();
  });

  it('answers a malformed payment id with a 404 page, and a lower-case id with the payment', async () => {
    const answer = await fetch(`${web.url}/payments/pay_nope`);
    expect(answer.status).toBe(404);
    const page = await signedIn.newPage();
    await page.goto(`${web.url}/payments/pay_nope`);
    expect(await page.locator('h1').textContent()).toBe('404');
    expect(await page.getByRole('alert').textContent()).toMatch(/There is no payment pay_nope/);
    await page.goto(`${web.url}/payments/${ids.pending.toLowerCase()}`);
    expect(page.url()).toBe(`${web.url}/payments/${ids.pending}`);
    expect(await page.getByTestId('payment-id').textContent()).toBe(ids.pending);
    await page.close();
  });

  it('cancel asks in a modal dialog that works from the keyboard; Escape keeps the payment', async () => {
    const page = await signedIn.newPage();
    await page.goto(`${web.url}/payments/${ids.toCancel}`);
    const trigger = page.getByRole('button', { name: 'Cancel payment' });
    await trigger.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.getAttribute('aria-labelledby')).toBeTruthy();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Keep');
    await page.screenshot({ path: `${SCREENSHOTS}/confirm-dialog-desktop.png` });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel payment');
    expect((await merchant.api.payments.get.query({ id: ids.toCancel })).status).toBe('pending');

    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel payment');
    await page.keyboard.press('Enter');
    await until(
      () => page.getByTestId('status').first().textContent(),
      (s) => s === 'Canceled',
      'the badge to say Canceled',
    );
    expect((await merchant.api.payments.get.query({ id: ids.toCancel })).status).toBe('canceled');
    await page.close();
  });

  it('destructive buttons look unlike the safe ones', async () => {
    const page = await signedIn.newPage();
    await page.goto(`${web.url}/payments/${ids.pending}`);
    const background = (name: string) =>
      page.getByRole('button', { name, exact: true }).evaluate((b) => getComputedStyle(b).backgroundColor);
    expect(await background('Cancel payment')).not.toBe(await background('Process now'));
    await page.goto(`${web.url}/webhooks/${ids.endpoint}`);
    expect(await background('Rotate secret')).not.toBe(await background('Send test'));
    await page.close();
  });

  it('a mutating button disables while its request is on the way, and the same form sent twice acts once', async () => {
    const messages = () => merchant.api.webhooks.listMessages.query({ endpointId: ids.endpoint, limit: 100 });
    const before = (await messages()).length;
    const page = await signedIn.newPage();
    await page.goto(`${web.url}/webhooks/${ids.endpoint}`);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/webhooks/*?/test', async (route) => {
      await held;
      await route.continue();
    });
    // Located by its form: while busy the button says "Sending…".
    const send = page.locator('form[action="?/test"] button[type="submit"]');
    expect(await send.textContent()).toBe('Send test');
    await send.click();
    await until(() => send.isDisabled(), Boolean, 'the button to disable while sending');
    expect(await send.textContent()).toBe('Sending…');
    // A second click on a disabled button sends nothing.
    await send.click({ force: true });
    release();
    await page.getByText(/^Test event msg_/).waitFor();
    expect(await send.isDisabled()).toBe(false);
    await page.unrouteAll();
    expect((await messages()).length).toBe(before + 1);

    // Without the browser's help (no JavaScript, a retrying proxy): the same form key twice is one test event.
    const formKey = await send.evaluate(
      (button) => ((button as HTMLButtonElement).form!.elements.namedItem('formKey') as HTMLInputElement).value,
    );
    expect(formKey).toBeDefined();
    const post = (key: string) =>
      fetch(`${web.url}/webhooks/${ids.endpoint}?/test`, {
        method: 'POST',
        headers: {
          origin: web.url,
          cookie: `${KEY_COOKIE}=${merchant.key}`,
          'content-type': 'application/x-www-form-urlencoded',
          'x-sveltekit-action': 'true',
        },
        body: new URLSearchParams({ id: ids.endpoint, formKey: key }),
      });
    await Promise.all([post(formKey!), post(formKey!)]);
    expect((await messages()).length).toBe(before + 2);
    // Negative control: two different keys are two test events.
    await Promise.all([post(crypto.randomUUID()), post(crypto.randomUUID())]);
    expect((await messages()).length).toBe(before + 4);
    await page.close();
  });

  it('redeliver and replay ask first, then act', async () => {
    await until(
      () => merchant.api.webhooks.listMessages.query({ endpointId: ids.endpoint, status: 'failed' }),
      (m) => m.length > 0,
      'a failed test message',
    );
    const page = await signedIn.newPage();
    await page.goto(`${web.url}/webhooks/${ids.endpoint}`);
    await page.getByRole('button', { name: 'Replay failed' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Replay' }).click();
    expect(Number((await page.getByTestId('replayed').textContent())?.match(/\d+/)?.[0])).toBeGreaterThanOrEqual(1);
    await page.close();
  });

  it('finds a payment by its id typed in lower case or only its beginning, and clears the filters', async () => {
    const page = await signedIn.newPage();
    for (const typed of [ids.pending.toLowerCase(), ids.pending.slice(0, 22).toLowerCase(), ids.pending.slice(4)]) {
      await page.goto(`${web.url}/payments?q=${encodeURIComponent(typed)}`);
      expect(await page.locator(`tr[data-payment-id="${ids.pending}"]`).count(), typed).toBe(1);
    }
    await page.getByTestId('clear-filters').click();
    await page.waitForURL(`${web.url}/payments`);
    expect(await page.getByTestId('clear-filters').count()).toBe(0);
    expect(await page.locator('tr[data-payment-id]').count()).toBe(25);
    await page.close();
  });

  it('pages older and back newer with its position', async () => {
    const page = await signedIn.newPage();
    await page.goto(`${web.url}/payments`);
    expect(await page.getByTestId('position').textContent()).toMatch(new RegExp(`Page 1 · payments 1–25 of ${SEEDED}`));
    await page.getByRole('link', { name: 'Older →' }).click();
    await until(
      () => page.getByTestId('position').textContent(),
      (t) => /Page 2 · payments 26–28 of 28/.test(t ?? ''),
      'page 2',
    );
    expect(await page.getByRole('link', { name: 'Older →' }).count()).toBe(0);
    await page.getByRole('link', { name: '← Newer' }).click();
    await until(
      () => page.getByTestId('position').textContent(),
      (t) => /Page 1 · payments 1–25/.test(t ?? ''),
      'page 1 again',
    );
    expect(await page.getByRole('link', { name: '← Newer' }).count()).toBe(0);
    await page.close();
  });

  it('draws the chart with axes and tells the value under the pointer and at the keyboard focus', async () => {
    const page = await signedIn.newPage();
    await page.goto(`${web.url}/`);
    const chart = page.getByRole('slider', { name: 'Payments created per minute, last hour' });
    expect(await chart.locator('rect').count()).toBe(60);
    const labels = await chart.locator('text').allTextContents();
    expect(labels).toContain('0');
    expect(labels.filter((t) => /\d{1,2}:\d{2}/.test(t)).length).toBeGreaterThanOrEqual(3);
    await chart.focus();
    await page.keyboard.press('End');
    // Every seeded payment was created within the last minute or two.
    const valueText = await chart.getAttribute('aria-valuetext');
    expect(valueText).toMatch(/^\d{1,2}:\d{2}.*: \d+ payments?$/);
    const box = (await chart.boundingBox())!;
    await page.mouse.move(box.x + box.width - 20, box.y + box.height / 2);
    expect(await page.getByTestId('chart-readout').textContent()).toMatch(/\d+ payments?/);
    await page.close();
  });

  it('reads the timeline in words with the raw JSON on demand', async () => {
    const page = await signedIn.newPage();
    await page.goto(`${web.url}/payments/${ids.completed}`);
    const completed = page.locator('.timeline li').filter({ hasText: 'Payment completed' });
    expect(await completed.locator('dt').allTextContents()).toContain('Authorization');
    const raw = completed.locator('details');
    expect(await raw.locator('pre').isVisible()).toBe(false);
    await raw.locator('summary').click();
    expect(await raw.locator('pre').textContent()).toContain('"authorizationId"');
    await page.close();
  });

  it('shows an API refusal of a field once, beside the field', async () => {
    const page = await signedIn.newPage();
    await page.goto(`${web.url}/payments/new`);
    await page.getByLabel('Webhook URL').fill('ftp://example.com/hook');
    await page.getByRole('button', { name: 'Create payment' }).click();
    const fieldError = page.locator('#webhookUrl-error');
    await fieldError.waitFor();
    const message = (await fieldError.textContent())!;
    expect(message.length).toBeGreaterThan(3);
    const main = (await page.locator('main').textContent())!;
    expect(main.split(message).length - 1).toBe(1);
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.close();
  });
});
