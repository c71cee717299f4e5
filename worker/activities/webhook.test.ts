import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret } from '../../common/webhook-secret.js';
import type { Database } from '../../db/client.js';
import { deliverWebhookMessage, firstWebhookAttempt, type WebhookDeliveryConfig } from './webhook.js';

const SECRET = newWebhookSecret();
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

/**
 * Drizzle's builder reduced to what one delivery to a payment's own webhookUrl reads: every awaited
 * chain gives the message row (no endpoint, the merchant's secret). Writes go nowhere.
 */
function fakeDb(stored: typeof message = message): Database {
  const row = {
    message: stored,
    endpoint: null,
    defaultSecret: { secret: SECRET, previousSecret: null, previousSecretExpiresAt: null },
    attempts: 1,
  };
  // Raw statements (the dead-letter notice, db/notices.ts) read `rows`: a notice with no messages.
  const result = Object.assign([row], { rows: [{ event_id: '1', message_ids: [] }] });
  const chain = (): unknown =>
    new Proxy(() => {}, { get: (_t, prop) => (prop === 'then' ? (resolve: (v: unknown) => void) => resolve(result) : () => chain()) });
  return new Proxy({}, { get: () => () => chain() }) as Database;
}

const config: WebhookDeliveryConfig = { schedule: [0, 5_000, 300_000], timeoutMs: 2_000, disableAfterMs: 86_400_000 };

/** One attempt (the given one) against a receiver that answers `response`. */
async function attempt(
  response: () => Response,
  attemptNumber = 1,
  options: { stored?: typeof message; once?: boolean; first?: boolean; db?: Database; after?: number; schedule?: number[] } = {},
) {
  const requests: Request[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    requests.push(new Request(url, init));
    return response();
  }) as typeof globalThis.fetch;
  const env = new MockActivityEnvironment({ attempt: attemptNumber }, { logger: new DefaultLogger('ERROR') });
  const deps = { db: options.db ?? fakeDb(options.stored), fetch, config: { ...config, schedule: options.schedule ?? config.schedule } };
  const outcome = await (
    options.first
      ? env.run(firstWebhookAttempt, deps, message.id)
      : env.run(deliverWebhookMessage, deps, message.id, { once: options.once, after: options.after })
  ).catch((err: unknown) => err);
  return { outcome, requests };
}

const retryDelayOf = (outcome: unknown) => {
  expect(outcome).toBeInstanceOf(ApplicationFailure);
  return (outcome as ApplicationFailure).nextRetryDelay;
};

describe('one webhook attempt', () => {
  it('a 2xx delivers, signed per Standard Webhooks with the message id as webhook-id', async () => {
    const { outcome, requests } = await attempt(() => new Response(null, { status: 204 }));
    expect(outcome).toEqual({ delivered: true, statusCode: 204, attempts: 1, error: null });
    const sent = requests[0]!;
    const headers = Object.fromEntries(sent.headers);
    expect(headers['webhook-id']).toBe('msg_1');
    // The receiver's library, not ours, checks the signature.
    expect(new Webhook(SECRET).verify(await sent.text(), headers)).toEqual(message.payload);
  });

  it('once: a retry of an attempt that settled the message answers its outcome and sends nothing', async () => {
    const stored = { ...message, status: 'delivered' };
    const settled = await attempt(() => new Response('', { status: 500 }), 2, { stored, once: true });
    expect(settled.requests).toHaveLength(0);
    expect(settled.outcome).toMatchObject({ delivered: true, attempts: 1 });
    // Without `once` (a redelivery asked for), a settled message is sent again.
    const again = await attempt(() => new Response('', { status: 200 }), 1, { stored });
    expect(again.requests).toHaveLength(1);
  });

  it('a failure is retried after the schedule delay of the next attempt', async () => {
    expect(retryDelayOf((await attempt(() => new Response('no', { status: 500 }), 1)).outcome)).toBe(5_000);
    expect(retryDelayOf((await attempt(() => new Response('no', { status: 500 }), 2)).outcome)).toBe(300_000);
  });

  it('Retry-After in seconds on a 429 or 503 pushes the retry further, never earlier than the schedule', async () => {
    const answer = (status: number, retryAfter: string) => () =>
      new Response('slow down', { status, headers: { 'retry-after': retryAfter } });
    expect(retryDelayOf((await attempt(answer(429, '120'))).outcome)).toBe(120_000);
    expect(retryDelayOf((await attempt(answer(503, '1'))).outcome)).toBe(5_000);
    expect(retryDelayOf((await attempt(answer(503, '0'))).outcome)).toBe(5_000);
  });

  it('Retry-After as an HTTP date counts from now', async () => {
    const at = new Date(Date.now() + 600_000).toUTCString();
    const delay = retryDelayOf((await attempt(() => new Response('', { status: 503, headers: { 'retry-after': at } }))).outcome) as number;
    // The header has whole seconds only.
    expect(delay).toBeGreaterThan(598_000);
    expect(delay).toBeLessThanOrEqual(600_000);
  });

  it('a Retry-After beyond 24 hours is capped there; one that is not a delay is ignored', async () => {
    const answer = (retryAfter: string) => () => new Response('', { status: 429, headers: { 'retry-after': retryAfter } });
    expect(retryDelayOf((await attempt(answer(String(7 * 86_400)))).outcome)).toBe(86_400_000);
    for (const junk of ['soon', '-5', '1.5', '12abc']) expect(retryDelayOf((await attempt(answer(junk))).outcome), junk).toBe(5_000);
  });

  it('the last attempt of the schedule dead-letters instead of throwing', async () => {
    const { outcome } = await attempt(() => new Response('no', { status: 500 }), config.schedule.length);
    expect(outcome).toEqual({ delivered: false, statusCode: 500, attempts: 1, error: 'receiver answered HTTP 500' });
  });
});

describe("the capture's first attempt at the own webhook", () => {
  it('answers a final outcome (2xx), sent like any attempt', async () => {
    const { outcome, requests } = await attempt(() => new Response(null, { status: 200 }), 1, { first: true });
    expect(outcome).toEqual({ outcome: { delivered: true, statusCode: 200, attempts: 1, error: null } });
    expect(requests).toHaveLength(1);
  });

  it("answers a failure with the schedule's next delay, or the receiver's longer Retry-After, as a delivery would", async () => {
    const first = await attempt(() => new Response('no', { status: 500 }), 1, { first: true });
    expect(first.requests).toHaveLength(1);
    expect(first.outcome).toEqual({ retryInMs: 5_000 });
    const slowDown = () => new Response('', { status: 429, headers: { 'retry-after': '120' } });
    expect((await attempt(slowDown, 1, { first: true })).outcome).toEqual({ retryInMs: 120_000 });
    // Control: the same answers to the delivery activity's first attempt are retries after the same delays.
    expect(retryDelayOf((await attempt(() => new Response('no', { status: 500 }), 1)).outcome)).toBe(5_000);
    expect(retryDelayOf((await attempt(slowDown, 1)).outcome)).toBe(120_000);
  });

  it('dead-letters a failure when the schedule has one attempt', async () => {
    const { outcome } = await attempt(() => new Response('no', { status: 500 }), 1, { first: true, schedule: [0] });
    expect(outcome).toEqual({ outcome: { delivered: false, statusCode: 500, attempts: 1, error: 'receiver answered HTTP 500' } });
  });

  it("the delivery activity taking over (`after`) first waits that delay unsent, then counts the capture's attempt as its first", async () => {
    const paced = await attempt(() => new Response(null, { status: 200 }), 1, { after: 120_000 });
    expect(paced.requests).toHaveLength(0);
    expect(retryDelayOf(paced.outcome)).toBe(120_000);
    // Its second execution is the message's second attempt: a failure waits the schedule's third delay.
    const second = await attempt(() => new Response('no', { status: 500 }), 2, { after: 120_000 });
    expect(second.requests).toHaveLength(1);
    expect(retryDelayOf(second.outcome)).toBe(300_000);
    // The schedule's last attempt dead-letters: the message had as many attempts as the schedule, the capture's included.
    const last = await attempt(() => new Response('no', { status: 500 }), config.schedule.length, { after: 120_000 });
    expect(last.outcome).toMatchObject({ delivered: false });
  });

  it('sends nothing again for a message already settled (the capture retried after its attempt)', async () => {
    const { outcome, requests } = await attempt(() => new Response('', { status: 500 }), 2, {
      first: true,
      stored: { ...message, status: 'delivered' },
    });
    expect(requests).toHaveLength(0);
    expect(outcome).toMatchObject({ outcome: { delivered: true } });
  });

  it('never fails the capture: a database error leaves the message to the delivery activity', async () => {
    // Every statement's promise rejects, as pg's do when the server is gone.
    const failing = (): unknown =>
      new Proxy(() => {}, {
        get: (_t, prop) =>
          prop === 'then' ? (_: unknown, reject: (e: Error) => void) => reject(new Error('connection refused')) : () => failing(),
      });
    const down = new Proxy({}, { get: () => () => failing() }) as Database;
    const { outcome, requests } = await attempt(() => new Response(null, { status: 200 }), 1, { first: true, db: down });
    expect(outcome).toBeUndefined();
    expect(requests).toHaveLength(0);
  });
});
