import { MockActivityEnvironment } from '@temporalio/testing';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { ulid } from '../../common/ulid.js';
import { parseCidrList, webhookUrlProblem, type ResolveHost } from '../../common/url-guard.js';
import { newWebhookSecret } from '../../common/webhook-secret.js';
import { webhookAttempts, webhookEndpoints, webhookMessages } from '../../db/schema.js';
import { deliverWebhookMessage, guardedWebhookFetch } from '../../worker/activities/webhook.js';
import { startTestSystem, startWebhookReceiver, waitFor, type TestSystem } from '../harness.js';

/**
 * The SSRF guard end to end: a loopback listener that counts requests is the target, every
 * notation of its address is refused when given and again at connect time (also when DNS changes
 * in between), and the same listener is reached once an operator allows its range.
 */

let listener: Awaited<ReturnType<typeof startWebhookReceiver>>;
let port: number;

/** The listener's address in every notation that reaches 127.0.0.1 (or the host itself). */
const notations = () => [
  `http://127.0.0.1:${port}/hooks`,
  `http://[::ffff:127.0.0.1]:${port}/hooks`,
  `http://[::ffff:7f00:1]:${port}/hooks`,
  `http://[0:0:0:0:0:ffff:7f00:1]:${port}/hooks`,
  `http://2130706433:${port}/hooks`,
  `http://0x7f.1:${port}/hooks`,
  `http://0x7f000001:${port}/hooks`,
  `http://0177.0.0.1:${port}/hooks`,
  `http://127.1:${port}/hooks`,
  `http://localhost:${port}/hooks`,
  `http://0.0.0.0:${port}/hooks`,
];
/** Internal spellings that do not reach this listener but must be refused all the same. */
const unreachable = () => [
  `http://[::127.0.0.1]:${port}/hooks`,
  `http://[64:ff9b::127.0.0.1]:${port}/hooks`,
  `http://[2002:7f00:1::1]:${port}/hooks`,
  `http://[::1]:${port}/hooks`,
  `http://169.254.169.254:${port}/latest/meta-data`,
];

function apiCaller(system: TestSystem, key: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${system.apiUrl}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, ok: res.ok, body: (await res.json()) as any };
  };
}

/** Waits until every message of the payment is final, then returns them with their attempts. */
async function finalMessages(system: TestSystem, paymentId: string, expected: number) {
  const { db } = system.database;
  const messages = await waitFor(async () => {
    const rows = await db.select().from(webhookMessages).where(eq(webhookMessages.paymentId, paymentId));
    return rows.length === expected && rows.every((m) => m.status !== 'pending') && rows;
  }, `${expected} final webhook messages of ${paymentId}`);
  const attempts = await db
    .select()
    .from(webhookAttempts)
    .where(
      inArray(
        webhookAttempts.messageId,
        messages.map((m) => m.id),
      ),
    );
  return messages.map((m) => ({ ...m, attempts: attempts.filter((a) => a.messageId === m.id) }));
}

beforeAll(async () => {
  listener = await startWebhookReceiver();
  port = Number(new URL(listener.url).port);
});
afterAll(() => listener?.close());

describe('with no range allowed', () => {
  let system: TestSystem;
  let merchant: { id: string; key: string };
  let call: ReturnType<typeof apiCaller>;

  beforeAll(async () => {
    system = await startTestSystem({ env: { WEBHOOK_ALLOWED_CIDRS: '', ANONYMOUS_AS_DEMO: 'false' } });
    const m = await createMerchant(system.database.db, 'SSRF target practice');
    merchant = { id: m.id, key: m.apiKey.key };
    call = apiCaller(system, merchant.key);
  });
  afterAll(() => system?.stop());

  it('refuses every notation at every door that takes a webhook URL, naming the field', async () => {
    const accepted: string[] = [];
    for (const url of [...notations(), ...unreachable()]) {
      const doors = [
        [
          'POST /api/v1/payments',
          'webhookUrl',
          await call('POST', '/api/v1/payments', { amount: 100, currency: 'EUR', webhookUrl: url, delaySeconds: 600 }),
        ],
        ['POST /payment', 'webhook_url', await call('POST', '/payment', { webhook_url: url, sleep: 600, data: {} })],
        ['POST /api/v1/webhook-endpoints', 'url', await call('POST', '/api/v1/webhook-endpoints', { url, eventTypes: [] })],
      ] as const;
      for (const [door, field, res] of doors) {
        const named = new RegExp(`^${field}: resolves to the internal address `);
        if (res.status !== 400 || !named.test(res.body.message))
          accepted.push(`${door} ${url} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
    expect(accepted).toEqual([]);
    expect(listener.calls()).toBe(0);
  });

  it('refuses at connect time a URL that got past the API, records it as refused and does not retry', async () => {
    const { db } = system.database;
    const urls = [...notations(), ...unreachable()];
    // Written straight to the table, as a row accepted before a policy change (or a bug) would be.
    const endpoints = await db
      .insert(webhookEndpoints)
      .values(
        urls.map((url): typeof webhookEndpoints.$inferInsert => ({
          id: `we_${ulid()}`,
          merchantId: merchant.id,
          url,
          eventTypes: ['payment.created'],
          secret: newWebhookSecret(),
        })),
      )
      .returning({ id: webhookEndpoints.id });
    try {
      const payment = await call('POST', '/api/v1/payments', { amount: 100, currency: 'EUR', delaySeconds: 600 });
      expect(payment.ok, JSON.stringify(payment.body)).toBe(true);
      const messages = await finalMessages(system, payment.body.id, urls.length);
      const wrong = messages.filter(
        (m) =>
          m.status !== 'failed' ||
          !m.lastError?.startsWith('refused: ') ||
          m.attempts.length !== 1 ||
          !m.attempts[0]!.error?.startsWith(`refused: ${m.url} resolves to the internal address`),
      );
      expect(
        wrong.map((m) => ({ url: m.url, status: m.status, lastError: m.lastError, attempts: m.attempts.map((a) => a.error) })),
      ).toEqual([]);
      expect(listener.calls()).toBe(0);
      await call('POST', `/api/v1/payments/${payment.body.id}/cancel`, {});
    } finally {
      await db
        .update(webhookEndpoints)
        .set({ enabled: false })
        .where(
          inArray(
            webhookEndpoints.id,
            endpoints.map((e) => e.id),
          ),
        );
    }
  });

  it('decides on the address it connects to when DNS answers differently after the check (rebinding)', async () => {
    const { db } = system.database;
    const url = `http://rebind.test:${port}/hooks`;
    const { outcome, lookups } = await deliverThroughRebindingDns(system, merchant.id, url, '');
    expect(outcome).toMatchObject({
      delivered: false,
      attempts: 1,
      error: expect.stringMatching(/^refused: resolves to the internal address 127\.0\.0\.1/),
    });
    // Once when the URL was accepted, once more at connect: the answer that counted was the second.
    expect(lookups).toBe(2);
    const [attempt] = await db
      .select()
      .from(webhookAttempts)
      .innerJoin(webhookMessages, eq(webhookMessages.id, webhookAttempts.messageId))
      .where(and(eq(webhookMessages.url, url), eq(webhookMessages.merchantId, merchant.id)));
    expect(attempt?.webhook_attempts.error).toMatch(
      /^refused: http:\/\/rebind\.test:\d+\/hooks resolves to the internal address 127\.0\.0\.1/,
    );
    expect(listener.calls()).toBe(0);
  });
});

/**
 * One message to `url`, delivered by the activity itself with a resolver that answers a public
 * address to the creation check and 127.0.0.1 afterwards.
 */
async function deliverThroughRebindingDns(system: TestSystem, merchantId: string, url: string, allowed: string) {
  let lookups = 0;
  const rebinding: ResolveHost = async () => [{ address: lookups++ === 0 ? '93.184.215.14' : '127.0.0.1', family: 4 }];
  expect(await webhookUrlProblem(url, parseCidrList(allowed), rebinding)).toBeUndefined();
  const id = `msg_${ulid()}`;
  await system.database.db
    .insert(webhookMessages)
    .values({ id, merchantId, url, eventType: 'webhook.test', sequence: 0, payload: { type: 'webhook.test' } });
  const deps = {
    db: system.database.db,
    fetch: guardedWebhookFetch(parseCidrList(allowed), rebinding),
    config: { schedule: [0, 100, 100], timeoutMs: 2000, disableAfterMs: 3_600_000 },
  };
  const outcome = await new MockActivityEnvironment().run(deliverWebhookMessage, deps, id);
  return { outcome, lookups, messageId: id };
}

describe('negative control: the same listener with 127.0.0.0/8 allowed', () => {
  let system: TestSystem;
  let merchant: { id: string; key: string };
  let call: ReturnType<typeof apiCaller>;

  beforeAll(async () => {
    system = await startTestSystem({ env: { WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8', ANONYMOUS_AS_DEMO: 'false' } });
    const m = await createMerchant(system.database.db, 'SSRF control');
    merchant = { id: m.id, key: m.apiKey.key };
    call = apiCaller(system, merchant.key);
  });
  afterAll(() => system?.stop());

  it('accepts and delivers to the loopback notations, so the refusals above were not a dead listener', async () => {
    const before = listener.calls();
    // 0.0.0.0 stays refused (0.0.0.0/8 is not in the allowed range); localhost may answer ::1 first.
    const reachable = notations().filter((u) => !u.includes('0.0.0.0') && !u.includes('localhost'));
    const endpoints: string[] = [];
    try {
      for (const url of reachable) {
        const res = await call('POST', '/api/v1/webhook-endpoints', { url, eventTypes: ['payment.created'] });
        expect(res.ok, `${url}: ${res.status} ${JSON.stringify(res.body)}`).toBe(true);
        endpoints.push(res.body.id);
      }
      const payment = await call('POST', '/api/v1/payments', { amount: 100, currency: 'EUR', delaySeconds: 600 });
      expect(payment.ok, JSON.stringify(payment.body)).toBe(true);
      const messages = await finalMessages(system, payment.body.id, reachable.length);
      expect(messages.map((m) => [m.url, m.status, m.lastError])).toEqual(
        expect.arrayContaining(reachable.map((u) => [u, 'delivered', null])),
      );
      const seen = new Set(listener.all.map((r) => String(r.headers['webhook-id'])));
      expect(messages.filter((m) => !seen.has(m.id)).map((m) => m.url)).toEqual([]);
      expect(listener.calls() - before).toBe(reachable.length);
      await call('POST', `/api/v1/payments/${payment.body.id}/cancel`, {});
    } finally {
      for (const id of endpoints) await call('POST', `/api/v1/webhook-endpoints/${id}`, { enabled: false });
    }
  });

  it('delivers the rebinding case once its range is allowed', async () => {
    const before = listener.calls();
    const { outcome, messageId } = await deliverThroughRebindingDns(system, merchant.id, `http://rebind.test:${port}/hooks`, '127.0.0.0/8');
    expect(outcome).toMatchObject({ delivered: true, statusCode: 200, attempts: 1 });
    expect(listener.calls() - before).toBe(1);
    expect(listener.all.at(-1)?.headers['webhook-id']).toBe(messageId);
  });
});
