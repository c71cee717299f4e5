import { TRPCClientError } from '@trpc/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import type { PaymentView } from '../../common/payment.js';
import { simulatorCharges } from '../../db/schema.js';
import { startTestSystem, startWebhookReceiver, waitFor, type TestSystem } from '../harness.js';

let system: TestSystem;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let otherKey: string;

beforeAll(async () => {
  system = await startTestSystem();
  receiver = await startWebhookReceiver();
  otherKey = (await createMerchant(system.database.db, 'Another merchant')).apiKey.key;
});
afterAll(async () => {
  await system?.stop();
  await receiver?.close();
});

async function rest(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${system.apiUrl}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const createPending = (input: Record<string, unknown> = {}) =>
  system.trpc.payments.create.mutate({ amount: 2500, currency: 'EUR', delaySeconds: 3600, webhookUrl: receiver.url, ...input });

async function settled(id: string): Promise<PaymentView> {
  return waitFor(async () => {
    const p = await system.trpc.payments.get.query({ id });
    return (p.status === 'completed' || p.status === 'failed' || p.status === 'canceled') && p.webhookStatus !== 'pending' && p;
  }, `payment ${id} to settle`);
}

describe('amending a pending payment on the real services', () => {
  it('PATCH /api/v1/payments/{id} changes the payment in the read model, the list and the timeline; a retried key is one amendment', async () => {
    const created = await createPending({ description: 'first', metadata: { order: 'A-1' } });
    const amendment = { amount: 4200, currency: 'usd', description: 'fixed', metadata: { order: 'B-2' } };
    const amended = await rest('PATCH', `/api/v1/payments/${created.id}`, amendment, { 'idempotency-key': `amend-${created.id}` });
    expect(amended.status).toBe(200);
    expect(amended.body).toMatchObject({
      id: created.id,
      status: 'pending',
      amount: 4200,
      currency: 'USD',
      description: 'fixed',
      version: 2,
    });
    expect(amended.body.metadata).toEqual({ order: 'B-2' });

    const read = await rest('GET', `/api/v1/payments/${created.id}`);
    expect(read.body).toMatchObject({ amount: 4200, currency: 'USD', description: 'fixed', metadata: { order: 'B-2' }, version: 2 });
    const listed = await rest('GET', `/api/v1/payments?q=${created.reference}`);
    expect(listed.body.items.find((p: PaymentView) => p.id === created.id)).toMatchObject({ amount: 4200, currency: 'USD' });

    const events = await rest('GET', `/api/v1/payments/${created.id}/events`);
    expect(events.body.map((e: { type: string }) => e.type)).toEqual(['payment.created', 'payment.amended']);
    expect(events.body[1]).toMatchObject({
      version: 2,
      status: 'pending',
      details: {
        changes: {
          amount: { before: 2500, after: 4200 },
          currency: { before: 'EUR', after: 'USD' },
          description: { before: 'first', after: 'fixed' },
          metadata: { before: { order: 'A-1' }, after: { order: 'B-2' } },
        },
      },
    });

    // The same key and amendment again: the first answer, no second version.
    const retried = await rest('PATCH', `/api/v1/payments/${created.id}`, amendment, { 'idempotency-key': `amend-${created.id}` });
    expect(retried.status).toBe(200);
    expect(retried.body.version).toBe(2);
    // The same key with another amendment is refused.
    const reused = await rest('PATCH', `/api/v1/payments/${created.id}`, { amount: 1 }, { 'idempotency-key': `amend-${created.id}` });
    expect(reused.status).toBe(409);
    expect(reused.body.message).toMatch(/^Idempotency-Key "amend-pay_\w+" was already used with a different amendment/);
    expect((await rest('GET', `/api/v1/payments/${created.id}/events`)).body).toHaveLength(2);
    await system.trpc.payments.cancel.mutate({ id: created.id });
  });

  it('tRPC payments.amend: a delay already past (counted from creation) processes at once, charging the amended amount', async () => {
    const created = await createPending();
    const amended = await system.trpc.payments.amend.mutate({ id: created.id, delaySeconds: 0, amount: 777 });
    expect(amended.amount).toBe(777);
    expect(amended.scheduledAt).toBe(created.createdAt);
    const final = await settled(created.id);
    expect(final).toMatchObject({ status: 'completed', amount: 777, delaySeconds: 0, webhookStatus: 'delivered' });
    const [charge] = await system.database.db.select().from(simulatorCharges).where(eq(simulatorCharges.paymentId, created.id));
    expect(charge).toMatchObject({ amount: 777, currency: 'EUR', status: 'captured' });
    const hook = receiver.received.find((w) => w.body.payment_id === created.id);
    expect(hook?.body.payment).toMatchObject({ amount: 777, status: 'completed' });
    const events = await system.trpc.payments.events.query({ id: created.id });
    expect(events.map((e) => e.type)).toEqual([
      'payment.created',
      'payment.amended',
      'payment.processing',
      'payment.completed',
      'webhook.delivered',
    ]);
  });

  it('answers 409 once processing began (here: completed), on REST and tRPC', async () => {
    const created = await createPending({ delaySeconds: 0 });
    await settled(created.id);
    const refused = await rest('PATCH', `/api/v1/payments/${created.id}`, { amount: 1 });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ code: 'CONFLICT', message: 'payment is completed; only a pending payment can be amended' });
    const viaTrpc = await system.trpc.payments.amend.mutate({ id: created.id, amount: 1 }).catch((err: unknown) => err);
    expect(viaTrpc).toBeInstanceOf(TRPCClientError);
    expect(((viaTrpc as TRPCClientError<never>).data as { code?: string } | undefined)?.code).toBe('CONFLICT');
  });

  it('answers 400 naming the field, for an empty amendment and for an unsafe webhook URL, and changes nothing', async () => {
    const created = await createPending();
    const path = `/api/v1/payments/${created.id}`;
    const coerced = await rest('PATCH', path, { amount: '100' });
    expect(coerced.status).toBe(400);
    expect(coerced.body.issues.map((i: { path: string[] }) => i.path.join('.'))).toEqual(['amount']);
    const currency = await rest('PATCH', path, { currency: 'euro' });
    expect([currency.status, currency.body.message]).toEqual([400, 'currency: must be an ISO-4217 currency code such as EUR']);
    const empty = await rest('PATCH', path, {});
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/^input: the amendment is empty/);
    const metadataIp = await rest('PATCH', path, { webhookUrl: 'http://169.254.169.254/latest/meta-data/' });
    expect(metadataIp.status).toBe(400);
    expect(metadataIp.body.message).toMatch(/^webhookUrl: /);
    const viaTrpc = await system.trpc.payments.amend
      .mutate({ id: created.id, webhookUrl: 'http://10.0.0.1/hook' })
      .catch((err: unknown) => err);
    expect(((viaTrpc as TRPCClientError<never>).data as { code?: string } | undefined)?.code).toBe('BAD_REQUEST');
    expect((viaTrpc as Error).message).toMatch(/^webhookUrl: /);
    expect((await rest('GET', path)).body).toMatchObject({ version: 1, amount: 2500, webhookUrl: receiver.url });
    await system.trpc.payments.cancel.mutate({ id: created.id });
  });

  it('answers 404 for an unknown payment and for another merchant’s, and 409 for a Go-contract payment', async () => {
    const created = await createPending();
    const foreign = await rest('PATCH', `/api/v1/payments/${created.id}`, { amount: 1 }, { 'x-api-key': otherKey });
    expect(foreign.status).toBe(404);
    const unknown = await rest('PATCH', '/api/v1/payments/pay_01JBZ0000000000000000000AA', { amount: 1 });
    expect(unknown.status).toBe(404);

    const go = await rest('POST', '/payment', { webhook_url: receiver.url, sleep: 3600, data: { amount: 100, currency: 'USD' } });
    const refused = await rest('PATCH', `/api/v1/payments/${go.body.id}`, { amount: 1 });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/^a payment created through the Go-compatible door \(POST \/payment\) cannot be amended/);
    await Promise.all([created.id, go.body.id].map((id: string) => system.trpc.payments.cancel.mutate({ id })));
  });
});
