import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret } from '../../common/webhook-secret.js';
import type { Database } from '../../db/client.js';
import { deliverWebhookMessage, type WebhookDeliveryConfig } from './webhook.js';

const message = {
  id: 'msg_1',
  merchantId: 'mer_1',
  paymentId: 'pay_1',
  endpointId: null,
  url: 'https://receiver.example/hook',
  eventType: 'payment.completed',
  sequence: 3,
  payload: { type: 'payment.completed', payment_id: 'pay_1' },
  status: 'pending',
  lastError: null,
  createdAt: new Date(),
  deliveredAt: null,
};

/** Drizzle's builder reduced to reads: the first `missing` reads find nothing (the projection has not written yet), later ones the message. */
function dbWrittenAfter(missing: number): { db: Database; reads: () => number } {
  const row = {
    message,
    endpoint: null,
    defaultSecret: { secret: newWebhookSecret(), previousSecret: null, previousSecretExpiresAt: null },
    attempts: 1,
  };
  let reads = 0;
  const chain = (): unknown =>
    new Proxy(() => {}, {
      get: (_t, prop) => (prop === 'then' ? (resolve: (v: unknown) => void) => resolve(reads++ < missing ? [] : [row]) : () => chain()),
    });
  return { db: new Proxy({}, { get: () => () => chain() }) as Database, reads: () => reads };
}

const config: WebhookDeliveryConfig = { schedule: [0, 5_000], timeoutMs: 2_000, disableAfterMs: 86_400_000 };
const receiver = (async () => new Response(null, { status: 204 })) as unknown as typeof fetch;
const environment = () => new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });

describe('a delivery scheduled beside its projection', () => {
  it('waits for the message row, then delivers it', async () => {
    const { db, reads } = dbWrittenAfter(3);
    const outcome = await environment().run(deliverWebhookMessage, { db, fetch: receiver, config }, message.id, { awaitProjection: true });
    expect(outcome).toEqual({ delivered: true, statusCode: 204, attempts: 1, error: null });
    expect(reads()).toBeGreaterThan(3);
  });

  it('without the option, a missing message is final at once', async () => {
    const { db } = dbWrittenAfter(3);
    await expect(environment().run(deliverWebhookMessage, { db, fetch: receiver, config }, message.id)).rejects.toMatchObject({
      type: 'WebhookMessageMissing',
    });
  });

  it('ends when the workflow cancels it (its projection was refused)', async () => {
    const { db } = dbWrittenAfter(Number.POSITIVE_INFINITY);
    const env = environment();
    const running = env.run(deliverWebhookMessage, { db, fetch: receiver, config }, message.id, { awaitProjection: true });
    setTimeout(() => env.cancel(), 50);
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
  });
});
