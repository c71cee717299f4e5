import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { startTestSystem, startWebhookReceiver, waitFor, type ReceivedWebhook, type TestSystem } from '../harness.js';

let system: TestSystem;
let merchant: { id: string; key: string };

beforeAll(async () => {
  system = await startTestSystem({ env: { ANONYMOUS_AS_DEMO: 'false' } });
  const m = await createMerchant(system.database.db, 'Webhook merchant');
  merchant = { id: m.id, key: m.apiKey.key };
});
afterAll(() => system?.stop());

async function call(method: string, path: string, body?: unknown, key = merchant.key) {
  const res = await fetch(`${system.apiUrl}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

function verify(secret: string, delivery: ReceivedWebhook) {
  const headers = {
    'webhook-id': String(delivery.headers['webhook-id']),
    'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
    'webhook-signature': String(delivery.headers['webhook-signature']),
  };
  // Both maintained verifiers accept it; a tampered body does not pass.
  expect(() => new Webhook(secret).verify(delivery.raw, headers)).not.toThrow();
  const svixHeaders = {
    'svix-id': headers['webhook-id'],
    'svix-timestamp': headers['webhook-timestamp'],
    'svix-signature': headers['webhook-signature'],
  };
  expect(() => new SvixWebhook(secret).verify(delivery.raw, svixHeaders)).not.toThrow();
  expect(() => new Webhook(secret).verify(delivery.raw.replace('"', ' "'), headers)).toThrow();
}

const created: string[] = [];
const createEndpoint = async (url: string, eventTypes: string[] = []) => {
  const res = await call('POST', '/api/v1/webhook-endpoints', { url, eventTypes });
  if (res.status === 201) created.push(res.body.id);
  return res;
};
// Receivers of one test must not get the next test's events (ports are reused): disable what each test made.
afterEach(async () => {
  for (const id of created.splice(0)) await call('POST', `/api/v1/webhook-endpoints/${id}`, { enabled: false });
});
const createPayment = (extra: Record<string, unknown> = {}) =>
  call('POST', '/api/v1/payments', { amount: 1000, currency: 'EUR', delaySeconds: 0, ...extra }).then((r) => r.body.id as string);
/** Waits for the payment's workflow to finish (so every message exists and is final), then lists them. */
async function settled(id: string) {
  await system.temporal.workflow.getHandle(id).result();
  return (await call('GET', `/api/v1/webhook-messages?paymentId=${id}`)).body;
}

describe('Standard Webhooks delivery', () => {
  it('fans out to every subscribed endpoint, signed, in event order with sequence numbers', async () => {
    const all = await startWebhookReceiver();
    const finals = await startWebhookReceiver();
    try {
      const everything = await createEndpoint(all.url);
      expect(everything.status).toBe(201);
      expect(everything.body.secret).toMatch(/^whsec_/);
      const onlyFinal = await createEndpoint(finals.url, ['payment.completed', 'payment.failed']);
      const id = await createPayment({ data: { order: 'fan-out' } });
      await settled(id);
      const mine = (r: typeof all) => r.received.filter((w) => w.body.payment_id === id);

      expect(mine(all).map((w) => w.body.type)).toEqual(['payment.created', 'payment.processing', 'payment.completed']);
      expect(mine(all).map((w) => w.body.sequence)).toEqual([1, 2, 3]);
      expect(mine(finals).map((w) => w.body.type)).toEqual(['payment.completed']);
      for (const w of mine(all)) verify(everything.body.secret, w);
      verify(onlyFinal.body.secret, mine(finals)[0]!);
      expect(mine(all)[2]!.body).toMatchObject({ payment_id: id, data: { order: 'fan-out' }, payment: { status: 'completed' } });
    } finally {
      await all.close();
      await finals.close();
    }
  });

  it('a receiver failing N times sees the same webhook-id N+1 times; the attempt log shows N+1 attempts', async () => {
    const flaky = await startWebhookReceiver((n) => (n <= 2 ? 503 : 200));
    try {
      const id = await createPayment({ webhookUrl: flaky.url });
      const [message] = await settled(id);
      expect(message).toMatchObject({ status: 'delivered', eventType: 'payment.completed', endpointId: null });
      expect(flaky.all.map((w) => w.headers['webhook-id'])).toEqual([message.id, message.id, message.id]);
      expect(flaky.all.map((w) => w.status)).toEqual([503, 503, 200]);
      const attempts = (await call('GET', `/api/v1/webhook-messages/${message.id}/attempts`)).body;
      expect(attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([503, 503, 200]);
      expect(attempts[0].error).toMatch(/HTTP 503/);
      // The payment's own webhookUrl is signed with the merchant's default secret and reported on the payment.
      expect((await call('GET', `/api/v1/payments/${id}`)).body.webhookStatus).toBe('delivered');
    } finally {
      await flaky.close();
    }
  });

  it('honours Retry-After on 429', async () => {
    const busy = await startWebhookReceiver((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : 200));
    try {
      const id = await createPayment({ webhookUrl: busy.url });
      const [message] = await settled(id);
      expect(message.status).toBe('delivered');
      expect(busy.all.map((w) => w.status)).toEqual([429, 200]);
      // The schedule alone would retry after 100 ms; the receiver asked for 2 s.
      expect(busy.all[1]!.receivedAt - busy.all[0]!.receivedAt).toBeGreaterThanOrEqual(1900);
    } finally {
      await busy.close();
    }
  });

  it('a dead receiver ends failed (dead letter, notice); redeliver succeeds once it is back', async () => {
    let alive = false;
    const receiver = await startWebhookReceiver(() => (alive ? 200 : 500));
    try {
      const endpoint = (await createEndpoint(receiver.url, ['payment.completed'])).body;
      const id = await createPayment();
      const [message] = await settled(id);
      expect(message.status).toBe('failed');
      expect(receiver.calls()).toBe(4); // the test schedule: 4 attempts
      const notices = (await call('GET', '/api/v1/webhook-notices')).body;
      expect(notices.find((n: { messageId: string }) => n.messageId === message.id)).toMatchObject({ type: 'webhook.message.failed' });

      alive = true;
      expect((await call('POST', `/api/v1/webhook-messages/${message.id}/redeliver`, {})).body.status).toBe('pending');
      await waitFor(
        async () => (await call('GET', `/api/v1/webhook-messages?paymentId=${id}`)).body[0].status === 'delivered',
        'redelivery',
      );
      expect(receiver.received.map((w) => w.headers['webhook-id'])).toEqual([message.id]);
      verify(endpoint.secret, receiver.received[0]!);
    } finally {
      await receiver.close();
    }
  });

  it('410 Gone disables the endpoint at once, with the reason; replay sends failed messages again', async () => {
    let gone = true;
    const receiver = await startWebhookReceiver(() => (gone ? 410 : 200));
    try {
      const endpoint = (await createEndpoint(receiver.url, ['payment.created'])).body;
      const since = new Date(Date.now() - 1000).toISOString();
      const id = await createPayment({ delaySeconds: 600 });
      await waitFor(async () => {
        const list = (await call('GET', '/api/v1/webhook-endpoints')).body;
        return list.find((e: { id: string; enabled: boolean }) => e.id === endpoint.id && !e.enabled);
      }, 'the endpoint to be disabled');
      expect(receiver.calls()).toBe(1);
      const disabled = (await call('GET', '/api/v1/webhook-endpoints')).body.find((e: { id: string }) => e.id === endpoint.id);
      expect(disabled.disabledReason).toMatch(/410 Gone/);
      expect((await call('GET', '/api/v1/webhook-notices')).body[0]).toMatchObject({
        type: 'webhook.endpoint.disabled',
        endpointId: endpoint.id,
      });

      gone = false;
      await call('POST', `/api/v1/webhook-endpoints/${endpoint.id}`, { enabled: true });
      expect((await call('POST', `/api/v1/webhook-endpoints/${endpoint.id}/replay`, { since })).body.replayed).toBe(1);
      await waitFor(async () => receiver.received.some((w) => w.body.payment_id === id), 'the replayed message');
      await call('POST', `/api/v1/payments/${id}/cancel`, {});
    } finally {
      await receiver.close();
    }
  });

  it('sends a test event; a rotated secret signs from then on, beside the old one during the overlap', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const endpoint = (await createEndpoint(receiver.url, ['payment.completed'])).body;
      const rotated = (await call('POST', `/api/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, {})).body;
      expect(rotated.secret).not.toBe(endpoint.secret);
      const { messageId } = (await call('POST', `/api/v1/webhook-endpoints/${endpoint.id}/test`, {})).body;
      const delivery = await waitFor(async () => receiver.received[0], 'the test event');
      expect(delivery.headers['webhook-id']).toBe(messageId);
      expect(delivery.body.type).toBe('webhook.test');
      verify(rotated.secret, delivery);
      // The old secret keeps verifying for WEBHOOK_SECRET_ROTATION_OVERLAP; its end is in webhook-rotation.test.ts.
      verify(endpoint.secret, delivery);
    } finally {
      await receiver.close();
    }
  });
});

describe('what a receiver sends back', () => {
  it('a reply with a NUL byte or megabytes of body is recorded as a 512-byte excerpt, once; delivery ends', async () => {
    let calls = 0;
    const server = createServer((req, res) => {
      req.resume();
      calls += 1;
      // A NUL (Postgres text refuses it: this looped for ever) and far more than the excerpt.
      res
        .writeHead(200, { 'content-type': 'application/octet-stream' })
        .end(Buffer.concat([Buffer.from('ok\0'), Buffer.alloc(4 * 1024 * 1024, 120)]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const id = await createPayment({ webhookUrl: url });
      const [message] = (await settled(id)) as Array<{ id: string; status: string }>;
      expect(message).toMatchObject({ status: 'delivered' });
      const attempts = (await call('GET', `/api/v1/webhook-messages/${message!.id}/attempts`)).body as Array<{
        statusCode: number;
        responseExcerpt: string;
      }>;
      expect(attempts).toHaveLength(1);
      expect(attempts[0]!.responseExcerpt.startsWith('ok\uFFFD')).toBe(true);
      expect(Buffer.byteLength(attempts[0]!.responseExcerpt)).toBeLessThanOrEqual(514);
      expect(calls).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("the default secret (payments' own webhookUrl)", () => {
  it('signs the final webhook with the secret a rotation returned and, during the overlap, the one it replaced only', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const first = (await call('POST', '/api/v1/webhook-secret/rotate', {})).body.secret as string;
      const second = (await call('POST', '/api/v1/webhook-secret/rotate', {})).body.secret as string;
      const third = await call('POST', '/api/v1/webhook-secret/rotate', {});
      expect(third.body.secret).toMatch(/^whsec_/);
      expect(new Set([first, second, third.body.secret]).size).toBe(3);
      expect(Date.parse(third.body.previousSecretExpiresAt)).toBeGreaterThan(Date.now());
      const id = await createPayment({ webhookUrl: receiver.url });
      const delivery = await waitFor(async () => receiver.received.find((w) => w.body.payment_id === id), 'the final webhook');
      verify(third.body.secret, delivery);
      verify(second, delivery);
      // Rotating again within the overlap dropped the oldest secret at once.
      expect(() => new Webhook(first).verify(delivery.raw, delivery.headers as Record<string, string>)).toThrow();
    } finally {
      await receiver.close();
    }
  });
});

describe('guards', () => {
  it.each([
    ['http://10.1.2.3/hook', /internal address 10\.1\.2\.3/],
    ['http://169.254.169.254/latest/meta-data', /internal address 169\.254\.169\.254/],
    ['http://[::1]:9/x', null],
  ])('refuses a private URL %s unless the allowlist covers it', async (url, problem) => {
    const endpoint = await createEndpoint(url);
    const payment = await call('POST', '/api/v1/payments', { amount: 1, currency: 'EUR', webhookUrl: url, delaySeconds: 600 });
    if (problem) {
      expect(endpoint.status).toBe(400);
      expect(endpoint.body.message).toMatch(problem);
      expect(payment.status).toBe(400);
      expect(payment.body.message).toMatch(/^webhookUrl: /);
    } else {
      // ::1 is in the test allowlist.
      expect(endpoint.status).toBe(201);
      expect(payment.status).toBe(201);
      await call('POST', `/api/v1/payments/${payment.body.id}/cancel`, {});
    }
  });

  it('another merchant sees none of the endpoints or messages, and cannot redeliver them', async () => {
    const other = await createMerchant(system.database.db, 'Other');
    const endpoints = (await call('GET', '/api/v1/webhook-endpoints', undefined, other.apiKey.key)).body;
    expect(endpoints).toEqual([]);
    const mine = (await call('GET', '/api/v1/webhook-messages?limit=1')).body[0];
    expect(mine).toBeDefined();
    expect((await call('GET', `/api/v1/webhook-messages/${mine.id}/attempts`, undefined, other.apiKey.key)).status).toBe(404);
    expect((await call('POST', `/api/v1/webhook-messages/${mine.id}/redeliver`, {}, other.apiKey.key)).status).toBe(404);
    expect((await call('GET', '/api/v1/webhook-messages', undefined, other.apiKey.key)).body).toEqual([]);
  });
});
