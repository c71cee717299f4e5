import { TRPCClientError } from '@trpc/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentView } from '../../common/payment.js';
import { getStateQuery, type PaymentWorkflowResult } from '../../common/workflow-api.js';
import { payments, simulatorCharges } from '../../db/schema.js';
import { startTestSystem, startWebhookReceiver, waitFor, type TestSystem } from '../harness.js';

let system: TestSystem;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  system = await startTestSystem();
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await system?.stop();
  await receiver?.close();
});

const create = (input: Partial<Parameters<TestSystem['trpc']['payments']['create']['mutate']>[0]> = {}) =>
  system.trpc.payments.create.mutate({ amount: 2500, currency: 'EUR', delaySeconds: 0, webhookUrl: receiver.url, ...input });

async function settled(id: string): Promise<PaymentView> {
  return waitFor(async () => {
    const p = await system.trpc.payments.get.query({ id });
    return (p.status === 'completed' || p.status === 'failed' || p.status === 'canceled') && p.webhookStatus !== 'pending' && p;
  }, `payment ${id} to settle`);
}

const ledger = async (id: string) =>
  (await system.database.db.select().from(simulatorCharges).where(eq(simulatorCharges.paymentId, id)))[0];

/** The read model must equal what the workflow itself reports. */
async function expectProjectionMatchesWorkflow(id: string) {
  const handle = system.temporal.workflow.getHandle(id);
  const result: PaymentWorkflowResult = await handle.result();
  const [row] = await system.database.db.select().from(payments).where(eq(payments.id, id));
  expect(row).toMatchObject({
    status: result.status,
    failureReason: result.failureReason,
    compensated: result.compensated,
    webhookStatus: result.webhookStatus,
  });
  const state = await handle.query(getStateQuery);
  expect(row!.version).toBe(state.version);
}

const webhooksFor = (id: string) => receiver.received.filter((w) => w.body.payment_id === id);

describe('payment lifecycle on the real dev server and Postgres', () => {
  it('finds the payment right after create, with the input echoed back', async () => {
    const created = await create({ delaySeconds: 60, data: { order: 'A-1', nested: { ok: true } }, description: 'T-shirt' });
    expect(created).toMatchObject({ status: 'pending', amount: 2500, currency: 'EUR', delaySeconds: 60, description: 'T-shirt' });
    expect(created.id).toMatch(/^pay_/);
    expect(created.reference).toMatch(/^PAY-/);
    const fetched = await system.trpc.payments.get.query({ id: created.id });
    expect(fetched.data).toEqual({ order: 'A-1', nested: { ok: true } });
    expect(Date.parse(fetched.scheduledAt) - Date.parse(fetched.createdAt)).toBe(60_000);
    await system.trpc.payments.cancel.mutate({ id: created.id });
  });

  it.each([0, 2])('completes a payment with a %i s delay and delivers exactly one webhook', async (delaySeconds) => {
    const data = { order: `delay-${delaySeconds}`, items: [1, 2, 3] };
    const created = await create({ delaySeconds, data });
    const final = await settled(created.id);
    expect(final.status).toBe('completed');
    expect(final.webhookStatus).toBe('delivered');
    expect(Date.parse(final.completedAt!)).toBeGreaterThanOrEqual(Date.parse(created.scheduledAt));

    const hooks = webhooksFor(created.id);
    expect(hooks).toHaveLength(1);
    const body = hooks[0]!.body;
    expect(body).toMatchObject({ type: 'payment.completed', payment_id: created.id, data });
    expect(new Date(body.timestamp as string).toISOString()).toBe(body.timestamp);
    expect(body.payment).toMatchObject({ id: created.id, status: 'completed', amount: 2500, currency: 'EUR' });

    expect((await ledger(created.id))?.status).toBe('captured');
    const events = await system.trpc.payments.events.query({ id: created.id });
    expect(events.map((e) => e.type)).toEqual(['payment.created', 'payment.processing', 'payment.completed', 'webhook.delivered']);
    expect(events.map((e) => e.version)).toEqual([1, 2, 3, 4]);
    await expectProjectionMatchesWorkflow(created.id);
  });

  it('cancels during the delay: canceled, no gateway call, a payment.canceled webhook', async () => {
    const created = await create({ delaySeconds: 30 });
    const canceled = await system.trpc.payments.cancel.mutate({ id: created.id, reason: 'customer changed mind' });
    // The update answers only once the cancellation is in the read model.
    expect(canceled.status).toBe('canceled');
    const final = await settled(created.id);
    expect(final.status).toBe('canceled');
    expect(await ledger(created.id)).toBeUndefined();
    expect(webhooksFor(created.id).map((w) => w.body.type)).toEqual(['payment.canceled']);
    const events = await system.trpc.payments.events.query({ id: created.id });
    expect(events.find((e) => e.type === 'payment.canceled')?.details).toEqual({ reason: 'customer changed mind' });
    // Canceling again is harmless and answers the same state.
    expect((await system.trpc.payments.cancel.mutate({ id: created.id })).status).toBe('canceled');
    await expectProjectionMatchesWorkflow(created.id);
  });

  it('refuses to cancel once processing began, with a clear conflict', async () => {
    const created = await create({ delaySeconds: 0 });
    await settled(created.id);
    const error = await system.trpc.payments.cancel.mutate({ id: created.id }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<never>).data).toMatchObject({ code: 'CONFLICT', httpStatus: 409 });
    expect((error as Error).message).toMatch(/payment is completed; only a pending payment can be canceled/);
  });

  it('processNow skips the rest of the delay', async () => {
    const created = await create({ delaySeconds: 3600 });
    const hurried = await system.trpc.payments.processNow.mutate({ id: created.id });
    expect(hurried.status).not.toBe('pending');
    const final = await settled(created.id);
    expect(final.status).toBe('completed');
    expect(Date.parse(final.completedAt!)).toBeLessThan(Date.parse(created.scheduledAt));
  });

  it('a declined card ends failed with the reason and no capture', async () => {
    const created = await create({ data: { simulate: 'decline' } });
    const final = await settled(created.id);
    expect(final).toMatchObject({ status: 'failed', compensated: false });
    expect(final.failureReason).toMatch(/declined/);
    expect(webhooksFor(created.id).map((w) => w.body.type)).toEqual(['payment.failed']);
    expect((await ledger(created.id))?.status).toBe('attempted');
    await expectProjectionMatchesWorkflow(created.id);
  });

  it('retries a transient gateway error and completes with one charge', async () => {
    const created = await create({ data: { simulate: 'error' } });
    const final = await settled(created.id);
    expect(final.status).toBe('completed');
    const entry = await ledger(created.id);
    expect(entry).toMatchObject({ status: 'captured', calls: 3 });
    await expectProjectionMatchesWorkflow(created.id);
  });

  it('voids the authorization when capture fails for good (saga) and ends failed, compensated', async () => {
    const created = await create({ data: { simulate: 'capture_fail' } });
    const final = await settled(created.id);
    expect(final).toMatchObject({ status: 'failed', compensated: true });
    expect(final.failureReason).toMatch(/capture refused/);
    expect((await ledger(created.id))?.status).toBe('voided');
    await expectProjectionMatchesWorkflow(created.id);
  });

  it('the same idempotency key twice returns the same payment and starts one workflow', async () => {
    const key = `idem-${Date.now()}`;
    const [a, b] = await Promise.all([create({ idempotencyKey: key, delaySeconds: 0 }), create({ idempotencyKey: key, delaySeconds: 0 })]);
    expect(b.id).toBe(a.id);
    const again = await create({ idempotencyKey: key, delaySeconds: 0 });
    expect(again.id).toBe(a.id);
    const runs = [];
    for await (const w of system.temporal.workflow.list({ query: `WorkflowId = '${a.id}'` })) runs.push(w);
    expect(runs).toHaveLength(1);

    const conflict = await create({ idempotencyKey: key, amount: 9999 }).catch((e: unknown) => e);
    expect((conflict as TRPCClientError<never>).data).toMatchObject({ code: 'CONFLICT' });
    expect((conflict as Error).message).toMatch(/different request body/);
  });

  it('answers unknown ids with NOT_FOUND and bad input with the field and the rule', async () => {
    const missing = await system.trpc.payments.get.query({ id: 'pay_01ARZ3NDEKTSV4RRFFQ69G5FAV' }).catch((e: unknown) => e);
    expect((missing as TRPCClientError<never>).data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });

    const bad = await create({ amount: 1.5, currency: 'XYZ', delaySeconds: -1 }).catch((e: unknown) => e);
    expect((bad as TRPCClientError<never>).data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400 });
    expect((bad as Error).message).toMatch(/amount: .*integer/);
    expect((bad as Error).message).toMatch(/currency: .*ISO-4217/);
    expect((bad as Error).message).toMatch(/delaySeconds: must be 0 or more/);
  });

  it('lists newest first with cursor pagination and a status filter, and counts by status', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create({ delaySeconds: 600, webhookUrl: undefined })).id);
    const first = await system.trpc.payments.list.query({ status: 'pending', limit: 2 });
    expect(first.items.map((p) => p.id)).toEqual([ids[2], ids[1]]);
    const second = await system.trpc.payments.list.query({ status: 'pending', limit: 2, cursor: first.nextCursor! });
    expect(second.items[0]!.id).toBe(ids[0]);
    const stats = await system.trpc.payments.stats.query();
    expect(stats.byStatus.pending).toBeGreaterThanOrEqual(3);
    expect(stats.total).toBe(Object.values(stats.byStatus).reduce((a, b) => a + b, 0));
    for (const id of ids) await system.trpc.payments.cancel.mutate({ id });
  });
});

describe('live changes', () => {
  it('streams every change of the merchant’s payments over SSE (LISTEN/NOTIFY)', async () => {
    const controller = new AbortController();
    const res = await fetch(`${system.apiUrl}/trpc/payments.onChange`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const created = await create({ delaySeconds: 0, webhookUrl: undefined });
    try {
      await waitFor(async () => {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
        // Versions 1 (created) through 3 (completed) arrive as they are projected.
        return text.includes(`"paymentId":"${created.id}","version":3`);
      }, 'the completed change on the stream');
    } finally {
      controller.abort();
    }
    expect(text).toContain(`"paymentId":"${created.id}","version":2`);
  });
});
