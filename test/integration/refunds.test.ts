import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import type { AppRouter } from '../../api/router.js';
import { projectRefundState } from '../../db/refund-projection.js';
import { payments, refunds as refundRows, simulatorRefunds } from '../../db/schema.js';
import { snapshotOfRow } from '../../worker/activities/refunds.js';
import { startTestSystem, startWebhookReceiver, waitFor, type TestSystem, restCaller } from '../harness.js';

let system: TestSystem;
let merchant: { id: string; key: string };
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let secret: string;
let trpc: ReturnType<typeof createTRPCClient<AppRouter>>;

beforeAll(async () => {
  // Retries slow enough that a refund can be asked for while a payment message is still being retried.
  system = await startTestSystem({ env: { ANONYMOUS_AS_DEMO: 'false', WEBHOOK_RETRY_SCHEDULE: '0,2s,2s,2s' } });
  const m = await createMerchant(system.database.db, 'Refund merchant');
  merchant = { id: m.id, key: m.apiKey.key };
  trpc = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${system.apiUrl}/trpc`, headers: { 'x-api-key': merchant.key } })] });
  receiver = await startWebhookReceiver();
  const endpoint = await call('POST', '/api/v1/webhook-endpoints', { url: receiver.url });
  expect(endpoint.status).toBe(201);
  secret = endpoint.body.secret;
});
afterAll(async () => {
  await receiver?.close();
  await system?.stop();
});

const call: ReturnType<typeof restCaller> = (...args) => restCaller(system.apiUrl, { 'x-api-key': merchant.key })(...args);

/** A payment charged and finished (its workflow closed), ready to be refunded. */
async function completedPayment(extra: Record<string, unknown> = {}): Promise<string> {
  const created = await call('POST', '/api/v1/payments', { amount: 1000, currency: 'EUR', delaySeconds: 0, ...extra });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect(await system.temporal.workflow.getHandle(id).result()).toMatchObject({ status: 'completed' });
  return id;
}

const refund = (id: string, body: Record<string, unknown>, key?: string) =>
  call('POST', `/api/v1/payments/${id}/refunds`, body, key ? { 'idempotency-key': key } : {});

/** The refund's outcome as the read model has it (a request may answer before the gateway did). */
const settledRefunds = (id: string, count: number) =>
  waitFor(async () => {
    const list = (await call('GET', `/api/v1/payments/${id}/refunds`)).body as Array<{ status: string; amount: number; id: string }>;
    return list.length === count && list.every((r) => r.status !== 'pending') && list;
  }, `${count} settled refunds of ${id}`);

describe('refunds on the real services', () => {
  it('partial then the rest (REST and tRPC); the payment shows amountRefunded and becomes refunded', async () => {
    const id = await completedPayment();
    const first = await refund(id, { amount: 300, reason: 'one item damaged' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ paymentId: id, amount: 300, currency: 'EUR', reason: 'one item damaged', status: 'succeeded' });
    expect(first.body.id).toMatch(/^re_/);
    expect((await call('GET', `/api/v1/payments/${id}`)).body).toMatchObject({ status: 'partially_refunded', amountRefunded: 300 });

    const rest = await trpc.payments.refund.mutate({ id, reason: 'order canceled' });
    expect(rest).toMatchObject({ amount: 700, status: 'succeeded' });
    expect(await trpc.payments.get.query({ id })).toMatchObject({ status: 'refunded', amountRefunded: 1000 });
    expect((await trpc.payments.refunds.query({ id })).map((r) => [r.amount, r.status])).toEqual([
      [300, 'succeeded'],
      [700, 'succeeded'],
    ]);

    const more = await refund(id, { amount: 1 });
    expect(more.status).toBe(409);
    expect(more.body.message).toBe('payment is refunded; only a completed or partially refunded payment can be refunded');
    const timeline = (await call('GET', `/api/v1/payments/${id}/events`)).body as Array<{ type: string; version: number; status: string }>;
    expect(timeline.map((e) => `${e.version}:${e.type}:${e.status}`)).toEqual([
      '1:payment.created:pending',
      '2:payment.processing:processing',
      '3:payment.completed:completed',
      '4:refund.created:completed',
      '5:refund.succeeded:partially_refunded',
      '6:refund.created:partially_refunded',
      '7:refund.succeeded:refunded',
    ]);
  });

  it('a partially captured manual payment refunds at most what was captured, not its amount', async () => {
    const created = await call('POST', '/api/v1/payments', { amount: 1000, currency: 'EUR', delaySeconds: 0, captureMethod: 'manual' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await waitFor(async () => (await call('GET', `/api/v1/payments/${id}`)).body.status === 'requires_capture', 'awaiting capture');
    expect((await call('POST', `/api/v1/payments/${id}/capture`, { amount: 400 })).status).toBe(200);
    expect(await system.temporal.workflow.getHandle(id).result()).toMatchObject({ status: 'completed' });

    const tooMuch = await refund(id, { amount: 500 });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.message).toMatch(/captured 400/);
    const all = await refund(id, { reason: 'whole capture back' });
    expect(all.status).toBe(201);
    expect(all.body).toMatchObject({ amount: 400, status: 'succeeded' });
    expect((await call('GET', `/api/v1/payments/${id}`)).body).toMatchObject({
      status: 'refunded',
      amountRefunded: 400,
      capturedAmount: 400,
    });
    const ledger = await system.database.db.select().from(simulatorRefunds).where(eq(simulatorRefunds.paymentId, id));
    expect(ledger.reduce((sum, r) => sum + r.amount, 0)).toBe(400);
  });

  it('refund events are in the events feed, carrying the refund beside the payment, like their webhooks', async () => {
    const id = await completedPayment();
    expect((await refund(id, { amount: 250, reason: 'feed check' })).status).toBe(201);
    await settledRefunds(id, 1);
    const feed = await call('GET', `/api/v1/events?paymentId=${id}&types=refund.created&types=refund.succeeded`);
    expect(feed.status).toBe(200);
    expect(feed.body.items.map((e: { type: string }) => e.type)).toEqual(['refund.succeeded', 'refund.created']);
    expect(feed.body.items[0].data).toMatchObject({
      type: 'refund.succeeded',
      payment_id: id,
      refund: { amount: 250, status: 'succeeded', reason: 'feed check' },
      payment: { status: 'partially_refunded', amountRefunded: 250 },
    });
  });

  it('bad input is a 400 naming the field; a payment that did not complete, or an amount above what is left, a 409', async () => {
    const id = await completedPayment();
    for (const [body, field] of [
      [{ amount: 0 }, 'amount'],
      [{ amount: '5' }, 'amount'],
      [{ amount: 1.5 }, 'amount'],
      [{ reason: '' }, 'reason'],
      [{ reason: 'x'.repeat(501) }, 'reason'],
      [{ amount: 5, extra: true }, 'extra'],
    ] as const) {
      const res = await refund(id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message).toContain(field);
    }
    const over = await refund(id, { amount: 1001 });
    expect(over.status).toBe(409);
    expect(over.body.message).toBe('amount: 1001 is more than the 1000 EUR left to refund (captured 1000, refunded 0)');

    const pending = await call('POST', '/api/v1/payments', { amount: 500, currency: 'EUR', delaySeconds: 3600 });
    const early = await refund(pending.body.id, { amount: 100 });
    expect(early.status).toBe(409);
    expect(early.body.message).toBe('payment is pending; only a completed or partially refunded payment can be refunded');
    expect((await refund('pay_01J00000000000000000000000', { amount: 1 })).status).toBe(404);
    expect((await call('GET', `/api/v1/payments/${id}/refunds`)).body).toEqual([]);
  });

  it('concurrent refunds whose sum exceeds the captured amount: the succeeded ones never exceed it (gateway ledger)', async () => {
    const id = await completedPayment();
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => refund(id, { amount: 300, reason: `race ${i}` })));
    const accepted = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 409);
    expect(accepted.length + refused.length).toBe(8);
    const refunds = await settledRefunds(id, accepted.length);
    // The oracle: what the gateway actually paid back never exceeds what was captured.
    const ledger = await system.database.db.select().from(simulatorRefunds).where(eq(simulatorRefunds.paymentId, id));
    const refundedAtGateway = ledger.filter((e) => e.status === 'succeeded').reduce((sum, e) => sum + e.amount, 0);
    expect(refundedAtGateway).toBeLessThanOrEqual(1000);
    expect(refundedAtGateway).toBe(900);
    expect(accepted).toHaveLength(3);
    for (const r of refused) expect(r.body.message).toMatch(/^amount: 300 is more than the 100 EUR left to refund/);
    expect(refunds.every((r) => r.status === 'succeeded')).toBe(true);
    expect(ledger.map((e) => e.refundId).sort()).toEqual(refunds.map((r) => r.id).sort());
    expect((await call('GET', `/api/v1/payments/${id}`)).body).toMatchObject({ status: 'partially_refunded', amountRefunded: 900 });
  });

  it('an Idempotency-Key replay returns the same refund and refunds once; the key with another body is a 409', async () => {
    const id = await completedPayment();
    const [a, b] = await Promise.all([refund(id, { amount: 250 }, 'refund-A'), refund(id, { amount: 250 }, 'refund-A')]);
    expect(a.status).toBe(201);
    expect(b.body).toEqual(a.body);
    const later = await refund(id, { amount: 250 }, 'refund-A');
    expect(later.body).toMatchObject({ id: a.body.id, amount: 250, status: 'succeeded' });
    const viaTrpc = await trpc.payments.refund.mutate({ id, amount: 250, idempotencyKey: 'refund-A' });
    expect(viaTrpc.id).toBe(a.body.id);
    const other = await refund(id, { amount: 100 }, 'refund-A');
    expect(other.status).toBe(409);
    expect(other.body.message).toContain('Idempotency-Key "refund-A" was already used');
    expect(await settledRefunds(id, 1)).toHaveLength(1);
    const ledger = await system.database.db.select().from(simulatorRefunds).where(eq(simulatorRefunds.paymentId, id));
    expect(ledger).toHaveLength(1);
    expect((await call('GET', `/api/v1/payments/${id}`)).body.amountRefunded).toBe(250);
  });

  it('one Idempotency-Key sent at once with two different bodies: one refund (201), the other a 409, whichever arrives first', async () => {
    for (let round = 0; round < 4; round++) {
      const id = await completedPayment();
      const answers = await Promise.all([refund(id, { amount: 100 }, 'race'), refund(id, { amount: 200 }, 'race')]);
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
      const winner = answers.find((a) => a.status === 201)!;
      const loser = answers.find((a) => a.status === 409)!;
      expect(loser.body.message).toContain('Idempotency-Key "race" was already used');
      const [settled] = await settledRefunds(id, 1);
      expect(settled).toMatchObject({ id: winner.body.id, amount: winner.body.amount });
      const ledger = await system.database.db.select().from(simulatorRefunds).where(eq(simulatorRefunds.paymentId, id));
      expect(ledger.map((l) => l.amount)).toEqual([winner.body.amount]);
    }
  });

  it('the gateway refusing a refund fails it (the payment keeps its status); a transient error is retried to success', async () => {
    const refusedId = await completedPayment({ data: { simulate: 'refund_decline' } });
    const refused = await refund(refusedId, { amount: 400 });
    expect(refused.status).toBe(201);
    expect(refused.body).toMatchObject({ status: 'failed', failureReason: 'refund refused by acquirer (simulated)' });
    expect((await call('GET', `/api/v1/payments/${refusedId}`)).body).toMatchObject({ status: 'completed', amountRefunded: 0 });

    const flakyId = await completedPayment({ data: { simulate: 'refund_error' } });
    await refund(flakyId, { amount: 400 });
    const [settled] = await settledRefunds(flakyId, 1);
    expect(settled).toMatchObject({ status: 'succeeded', amount: 400 });
    const [entry] = await system.database.db.select().from(simulatorRefunds).where(eq(simulatorRefunds.paymentId, flakyId));
    expect(entry).toMatchObject({ status: 'succeeded', calls: 3 });
  });

  it('refund.* webhooks arrive after payment.completed, in the payment sequence, signed', async () => {
    const id = await completedPayment();
    await refund(id, { amount: 100, reason: 'first' });
    await refund(id, { amount: 900, reason: 'second' });
    const mine = await waitFor(async () => {
      const got = receiver.received.filter((w) => w.body.payment_id === id);
      return got.length === 7 && got;
    }, 'seven webhooks of the payment');
    expect(mine.map((w) => `${w.body.sequence}:${w.body.type}`)).toEqual([
      '1:payment.created',
      '2:payment.processing',
      '3:payment.completed',
      '4:refund.created',
      '5:refund.succeeded',
      '6:refund.created',
      '7:refund.succeeded',
    ]);
    for (const w of mine) {
      const headers = {
        'webhook-id': String(w.headers['webhook-id']),
        'webhook-timestamp': String(w.headers['webhook-timestamp']),
        'webhook-signature': String(w.headers['webhook-signature']),
      };
      expect(() => new Webhook(secret).verify(w.raw, headers)).not.toThrow();
    }
    expect(mine[4]!.body).toMatchObject({
      refund: { amount: 100, reason: 'first', status: 'succeeded', paymentId: id, failureReason: null },
      payment: { status: 'partially_refunded', amountRefunded: 100 },
    });
    expect(mine[6]!.body).toMatchObject({ payment: { status: 'refunded', amountRefunded: 1000 } });
  });

  it('a refund asked for while payment.completed is still being retried to a receiver is delivered after it', async () => {
    let failures = 0;
    const slow = await startWebhookReceiver((_n, body) => {
      const payment = body.payment as { description?: string } | undefined;
      // The slow-lane payment's completion fails twice (retried 2 s apart) before it is accepted.
      if (payment?.description === 'slow lane' && body.type === 'payment.completed' && failures < 2) {
        failures += 1;
        return 500;
      }
      return 200;
    });
    const endpoint = await call('POST', '/api/v1/webhook-endpoints', { url: slow.url });
    try {
      const created = await call('POST', '/api/v1/payments', { amount: 1000, currency: 'EUR', delaySeconds: 0, description: 'slow lane' });
      const id = created.body.id as string;
      await waitFor(async () => (await call('GET', `/api/v1/payments/${id}`)).body.status === 'completed', 'the payment completed');
      // The completion's first delivery may start a moment after the read model shows it: wait for its refusal.
      await waitFor(async () => failures >= 1, "the receiver's first refusal of payment.completed");
      expect(slow.received.filter((w) => w.body.payment_id === id && w.body.type === 'payment.completed')).toEqual([]);
      const answer = await refund(id, { amount: 400, reason: 'while delivering' });
      expect(answer.status).toBe(201);
      expect(['pending', 'succeeded']).toContain(answer.body.status);
      await settledRefunds(id, 1);
      const lane = await waitFor(async () => {
        const got = slow.received.filter((w) => w.body.payment_id === id);
        return got.length === 5 && got;
      }, 'five messages on the slow lane');
      expect(lane.map((w) => `${w.body.sequence}:${w.body.type}`)).toEqual([
        '1:payment.created',
        '2:payment.processing',
        '3:payment.completed',
        '4:refund.created',
        '5:refund.succeeded',
      ]);
      expect(failures).toBe(2);
    } finally {
      await call('POST', `/api/v1/webhook-endpoints/${endpoint.body.id}`, { enabled: false });
      await slow.close();
    }
  });

  it('the refund projection is idempotent and never goes back: a replayed or late write changes nothing', async () => {
    const id = await completedPayment();
    const db = system.database.db;
    const [row] = await db.select().from(payments).where(eq(payments.id, id));
    const base = snapshotOfRow(row!);
    const refund = {
      refundId: `re_projection_${id}`,
      paymentId: id,
      amount: 100,
      currency: 'EUR',
      reason: null,
      status: 'pending' as const,
      failureReason: null,
      createdAt: Date.now(),
      updatedAt: Date.now(),
    };
    const created = { ...base, version: base.version + 1, updatedAt: Date.now() };
    const succeeded = {
      ...base,
      version: base.version + 2,
      status: 'partially_refunded' as const,
      amountRefunded: 100,
      updatedAt: Date.now(),
    };
    const first = await projectRefundState(db, created, refund, { type: 'refund.created', details: {} });
    await projectRefundState(db, succeeded, { ...refund, status: 'succeeded' }, { type: 'refund.succeeded', details: {} });
    // The created step again (a retried activity, or a late one): same messages, nothing moves back.
    const again = await projectRefundState(db, created, refund, { type: 'refund.created', details: {} });
    expect(again.rowChanged).toBe(false);
    expect(again.messages).toEqual(first.messages);
    expect(first.messages.length).toBeGreaterThan(0);
    const [payment] = await db.select().from(payments).where(eq(payments.id, id));
    expect(payment).toMatchObject({ status: 'partially_refunded', amountRefunded: 100, version: base.version + 2 });
    const [stored] = await db.select().from(refundRows).where(eq(refundRows.id, refund.refundId));
    expect(stored).toMatchObject({ status: 'succeeded', merchantId: merchant.id, amount: 100 });
    const timeline = (await call('GET', `/api/v1/payments/${id}/events`)).body as Array<{ type: string }>;
    expect(timeline.map((e) => e.type)).toEqual([
      'payment.created',
      'payment.processing',
      'payment.completed',
      'refund.created',
      'refund.succeeded',
    ]);
  });

  it('the REST routes are in the OpenAPI document: POST answers 201, GET lists', async () => {
    const { body } = await call('GET', '/api/v1/openapi.json');
    const route = body.paths['/api/v1/payments/{id}/refunds'];
    expect(Object.keys(route.post.responses)).toEqual(expect.arrayContaining(['201', '400', '404', '409']));
    expect(Object.keys(route.get.responses)).toContain('200');
    expect(route.post.requestBody.content['application/json'].schema.properties).toHaveProperty('amount');
  });

  it('tRPC errors carry the same codes', async () => {
    const id = await completedPayment();
    const err = await trpc.payments.refund.mutate({ id, amount: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<AppRouter>).data?.code).toBe('CONFLICT');
  });
});
