/**
 * Found by the hostile review of issue 19: refunds asked for while the payment's own webhook messages
 * are still being retried (the refunds workflow has not loaded the payment yet), or queued behind slow
 * ones, must be answered within the bound and listed at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createMerchant } from '../../api/merchants.js';
import { simulatorRefunds } from '../../db/schema.js';
import { startTestSystem, startWebhookReceiver, waitFor, type TestSystem, restCaller } from '../harness.js';

let system: TestSystem;
let key: string;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  // The receiver fails every attempt: the payment's messages are retried for ~12 s, then dead-lettered.
  system = await startTestSystem({ env: { ANONYMOUS_AS_DEMO: 'false', WEBHOOK_RETRY_SCHEDULE: '0,4s,4s,4s' } });
  const m = await createMerchant(system.database.db, 'Settling merchant');
  key = m.apiKey.key;
  receiver = await startWebhookReceiver(() => 500);
  const endpoint = await call('POST', '/api/v1/webhook-endpoints', { url: receiver.url });
  expect(endpoint.status).toBe(201);
});
afterAll(async () => {
  await receiver?.close();
  await system?.stop();
});

const call: ReturnType<typeof restCaller> = (...args) => restCaller(system.apiUrl, { 'x-api-key': key })(...args);

/** Completed in the read model, its webhook messages still being retried. */
async function settlingPayment(): Promise<string> {
  const created = await call('POST', '/api/v1/payments', { amount: 1000, currency: 'EUR', delaySeconds: 0 });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  await waitFor(async () => (await call('GET', `/api/v1/payments/${id}`)).body.status === 'completed', `${id} completed`);
  return id;
}

const ledgerSum = async (paymentId: string) => {
  const rows = await system.database.db.select().from(simulatorRefunds).where(eq(simulatorRefunds.paymentId, paymentId));
  return rows.filter((r) => r.status === 'succeeded').reduce((s, r) => s + r.amount, 0);
};

describe('refunds while the payment is still delivering its webhooks', () => {
  it("a refund answered 201 pending is in the payment's refund list at once", async () => {
    const id = await settlingPayment();
    const answer = await call('POST', `/api/v1/payments/${id}/refunds`, { amount: 100 });
    expect(answer.status, answer.text).toBe(201);
    expect(answer.body.status).toBe('pending');
    const list = (await call('GET', `/api/v1/payments/${id}/refunds`)).body as Array<{ id: string; status: string }>;
    expect(list.map((r) => [r.id, r.status])).toEqual([[answer.body.id, 'pending']]);
  }, 60_000);

  it('concurrent refunds accepted on the API read never exceed the captured amount once they run', async () => {
    const id = await settlingPayment();
    const answers = await Promise.all(Array.from({ length: 6 }, () => call('POST', `/api/v1/payments/${id}/refunds`, { amount: 300 })));
    for (const a of answers) expect([201, 409], a.text).toContain(a.status);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
    const list = await waitFor(
      async () => {
        const l = (await call('GET', `/api/v1/payments/${id}/refunds`)).body as Array<{ status: string; amount: number }>;
        return l.length === 3 && l.every((r) => r.status !== 'pending') && l;
      },
      'refunds settled',
      60_000,
    );
    expect(list.filter((r) => r.status === 'succeeded').reduce((s, r) => s + r.amount, 0)).toBe(900);
    expect(await ledgerSum(id)).toBe(900);
  }, 90_000);
});

describe('refunds of a payment whose workflow an operator terminated', () => {
  it('run although its webhook messages will never be delivered (they stay pending)', async () => {
    const id = await settlingPayment();
    await system.temporal.workflow.getHandle(id).terminate('terminated by an operator while its webhooks were retried');
    const answer = await call('POST', `/api/v1/payments/${id}/refunds`, { amount: 250 });
    expect(answer.status, answer.text).toBe(201);
    const settled = await waitFor(
      async () => {
        const [r] = (await call('GET', `/api/v1/payments/${id}/refunds`)).body as Array<{ status: string }>;
        return r?.status !== 'pending' && r;
      },
      'the refund to run',
      30_000,
    );
    expect(settled).toMatchObject({ status: 'succeeded', amount: 250 });
    expect(await ledgerSum(id)).toBe(250);
  }, 60_000);
});

describe('refunds queued behind slow ones', () => {
  it('each answers 201 within the bound (pending or settled), never a 504, and all of them run', async () => {
    // refund_error: each refund's gateway call fails twice (1 s + 2 s of retries), so refunds run ~3 s apiece.
    const created = await call('POST', '/api/v1/payments', {
      amount: 1000,
      currency: 'EUR',
      delaySeconds: 0,
      data: { simulate: 'refund_error' },
    });
    const id = created.body.id as string;
    await waitFor(async () => (await call('GET', `/api/v1/payments/${id}`)).body.status === 'completed', `${id} completed`);
    // Its own webhook messages must be done (dead-lettered here) for the refunds to run.
    await waitFor(
      async () => (await call('GET', `/api/v1/webhook-messages?paymentId=${id}&status=pending`)).body.length === 0,
      `${id}'s messages settled`,
      60_000,
    );
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => call('POST', `/api/v1/payments/${id}/refunds`, { amount: 10, reason: `item ${i}` })),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201, 201]);
    const list = await waitFor(
      async () => {
        const l = (await call('GET', `/api/v1/payments/${id}/refunds`)).body as Array<{ status: string }>;
        return l.length === 6 && l.every((r) => r.status !== 'pending') && l;
      },
      'all 6 refunds ran',
      60_000,
    );
    expect(list.every((r) => r.status === 'succeeded')).toBe(true);
    expect(await ledgerSum(id)).toBe(60);
  }, 120_000);
});
