import { createTRPCClient, httpLink } from '@trpc/client';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import type { AppRouter } from '../../api/router.js';
import { simulatorCharges } from '../../db/schema.js';
import { startTestSystem, startWebhookReceiver, waitFor, type ReceivedWebhook, type TestSystem } from '../harness.js';

/**
 * Manual capture on the real services (API, worker, Temporal dev server, Postgres, the simulator),
 * through REST and tRPC: authorized only when due, captured in part later, each step a signed
 * webhook in order; a cancel while awaiting capture voids; capture of anything else is a 409.
 */

let system: TestSystem;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;
let trpc: ReturnType<typeof createTRPCClient<AppRouter>>;
let secret: string;

beforeAll(async () => {
  system = await startTestSystem({ env: { ANONYMOUS_AS_DEMO: 'false' } });
  receiver = await startWebhookReceiver();
  // A merchant of its own: no other file's payments reach its endpoint.
  const merchant = await createMerchant(system.database.db, 'Manual capture merchant');
  const key = merchant.apiKey.key;
  call = async (method, path, body) => {
    const res = await fetch(`${system.apiUrl}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  trpc = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${system.apiUrl}/trpc`, headers: { 'x-api-key': key } })] });
  const endpoint = await call('POST', '/api/v1/webhook-endpoints', {
    url: receiver.url,
    eventTypes: ['payment.requires_capture', 'payment.completed', 'payment.canceled'],
  });
  expect(endpoint.status).toBe(201);
  secret = endpoint.body.secret;
}, 120_000);
afterAll(async () => {
  await system?.stop();
  await receiver?.close();
});

const paymentOf = async (id: string) => (await call('GET', `/api/v1/payments/${id}`)).body;
const awaitingCapture = (id: string) =>
  waitFor(async () => {
    const p = await paymentOf(id);
    return p.status === 'requires_capture' && p;
  }, `${id} to await capture`);
const ledgerOf = async (id: string) =>
  (await system.database.db.select().from(simulatorCharges).where(eq(simulatorCharges.paymentId, id)))[0];

/** This payment's deliveries, each verified with the standardwebhooks library and the endpoint's secret. */
function verifiedDeliveries(id: string): Array<Record<string, any>> {
  return receiver.received
    .filter((d: ReceivedWebhook) => d.body.payment_id === id)
    .map((d) => {
      const headers = {
        'webhook-id': String(d.headers['webhook-id']),
        'webhook-timestamp': String(d.headers['webhook-timestamp']),
        'webhook-signature': String(d.headers['webhook-signature']),
      };
      return new Webhook(secret).verify(d.raw, headers) as Record<string, any>;
    });
}

describe('manual capture', () => {
  it('REST: authorized only, captured in part later; webhooks requires_capture then completed, signed; the ledger holds one capture of that part', async () => {
    const created = await call('POST', '/api/v1/payments', { amount: 1000, currency: 'EUR', delaySeconds: 0, captureMethod: 'manual' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ captureMethod: 'manual', capturedAmount: null, status: 'pending' });
    const id = created.body.id as string;

    const awaiting = await awaitingCapture(id);
    const windowMs = Date.parse(awaiting.captureBefore) - Date.parse(awaiting.updatedAt);
    // The default window: 7 days from the authorization.
    expect(windowMs).toBeGreaterThanOrEqual(7 * 86_400_000 - 1000);
    expect(windowMs).toBeLessThanOrEqual(7 * 86_400_000 + 1000);
    expect(await ledgerOf(id)).toMatchObject({ status: 'authorized', amount: 1000, capturedAmount: null });

    const above = await call('POST', `/api/v1/payments/${id}/capture`, { amount: 1001 });
    expect(above.status).toBe(400);
    expect(above.body.message).toMatch(/amount: must be at most the authorized 1000/);

    const captured = await call('POST', `/api/v1/payments/${id}/capture`, { amount: 400 });
    expect(captured.status).toBe(200);
    expect(captured.body).toMatchObject({ status: 'completed', amount: 1000, capturedAmount: 400, compensated: false });
    expect(await ledgerOf(id)).toMatchObject({ status: 'captured', amount: 1000, capturedAmount: 400 });

    const again = await call('POST', `/api/v1/payments/${id}/capture`, {});
    expect(again.status).toBe(409);

    const timeline = (await call('GET', `/api/v1/payments/${id}/events`)).body as Array<{ type: string; details: any }>;
    expect(timeline.map((e) => e.type)).toEqual(['payment.created', 'payment.processing', 'payment.requires_capture', 'payment.completed']);
    expect(timeline[3]!.details).toMatchObject({ capturedAmount: 400 });

    const deliveries = await waitFor(async () => {
      const d = verifiedDeliveries(id);
      return d.length >= 2 && d;
    }, 'both webhooks');
    expect(deliveries.map((d) => d.type)).toEqual(['payment.requires_capture', 'payment.completed']);
    expect(deliveries.map((d) => d.sequence)).toEqual([...deliveries.map((d) => d.sequence)].sort((a, b) => a - b));
    expect(deliveries[0]!.payment).toMatchObject({ status: 'requires_capture', captureMethod: 'manual', capturedAmount: null });
    expect(deliveries[1]!.payment).toMatchObject({ status: 'completed', capturedAmount: 400 });
  });

  it('tRPC: captures the whole authorization without an amount; cancel while awaiting capture voids at the gateway', async () => {
    const full = await trpc.payments.create.mutate({ amount: 750, currency: 'USD', delaySeconds: 0, captureMethod: 'manual' });
    const voided = await trpc.payments.create.mutate({ amount: 820, currency: 'USD', delaySeconds: 0, captureMethod: 'manual' });
    await Promise.all([awaitingCapture(full.id), awaitingCapture(voided.id)]);

    const captured = await trpc.payments.capture.mutate({ id: full.id });
    expect(captured).toMatchObject({ status: 'completed', capturedAmount: 750 });
    expect(await ledgerOf(full.id)).toMatchObject({ status: 'captured', capturedAmount: 750 });

    const canceled = await trpc.payments.cancel.mutate({ id: voided.id, reason: 'order abandoned' });
    expect(canceled).toMatchObject({ status: 'canceled', compensated: true, capturedAmount: null });
    expect(await ledgerOf(voided.id)).toMatchObject({ status: 'voided', capturedAmount: null });
    await expect(trpc.payments.capture.mutate({ id: voided.id })).rejects.toMatchObject({ data: { code: 'CONFLICT' } });

    const deliveries = await waitFor(async () => {
      const d = verifiedDeliveries(voided.id);
      return d.length >= 2 && d;
    }, 'the canceled payment webhooks');
    expect(deliveries.map((d) => d.type)).toEqual(['payment.requires_capture', 'payment.canceled']);
  });

  it('409 for capture of an automatic payment (its captured amount is its amount) and of a pending one', async () => {
    const automatic = await call('POST', '/api/v1/payments', { amount: 300, currency: 'EUR', delaySeconds: 0 });
    expect(automatic.body.captureMethod).toBe('automatic');
    await waitFor(async () => (await paymentOf(automatic.body.id)).status === 'completed', 'the automatic payment to complete');
    expect((await paymentOf(automatic.body.id)).capturedAmount).toBe(300);
    const refusedAutomatic = await call('POST', `/api/v1/payments/${automatic.body.id}/capture`, {});
    expect(refusedAutomatic.status).toBe(409);
    expect(refusedAutomatic.body).toMatchObject({ code: 'CONFLICT' });
    expect(refusedAutomatic.body.message).toMatch(/captureMethod automatic/);

    const pending = await call('POST', '/api/v1/payments', { amount: 300, currency: 'EUR', delaySeconds: 3600, captureMethod: 'manual' });
    const refusedPending = await call('POST', `/api/v1/payments/${pending.body.id}/capture`, { amount: 100 });
    expect(refusedPending.status).toBe(409);
    expect(refusedPending.body.message).toMatch(/payment is pending; only a payment awaiting capture can be captured/);
    await call('POST', `/api/v1/payments/${pending.body.id}/cancel`, {});
  });
});
