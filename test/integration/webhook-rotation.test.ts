import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { startTestSystem, startWebhookReceiver, waitFor, type ReceivedWebhook, type TestSystem } from '../harness.js';

/**
 * Secret rotation with an overlap, checked by the two independent verifiers a receiver would use:
 * during the overlap a receiver holding the old secret and one holding the new one both accept;
 * once it ends (its expiry moved into the past in the database) the old secret is refused.
 */

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({ env: { ANONYMOUS_AS_DEMO: 'false' } });
});
afterAll(() => system?.stop());

/** A merchant of its own per test, so no other test's payment events reach its endpoints. */
async function newMerchant() {
  const m = await createMerchant(system.database.db, 'Rotation merchant');
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${system.apiUrl}${path}`, {
      method,
      headers: { 'x-api-key': m.apiKey.key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
}

/** Whether each maintained verifier accepts the delivery with this secret (they must agree). */
function accepts(secret: string, delivery: ReceivedWebhook): boolean {
  const headers = {
    'webhook-id': String(delivery.headers['webhook-id']),
    'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
    'webhook-signature': String(delivery.headers['webhook-signature']),
  };
  const verdict = (verify: () => unknown) => {
    try {
      verify();
      return true;
    } catch {
      return false;
    }
  };
  const standard = verdict(() => new Webhook(secret).verify(delivery.raw, headers));
  const svix = verdict(() =>
    new SvixWebhook(secret).verify(delivery.raw, {
      'svix-id': headers['webhook-id'],
      'svix-timestamp': headers['webhook-timestamp'],
      'svix-signature': headers['webhook-signature'],
    }),
  );
  expect(svix, 'svix and standardwebhooks disagree').toBe(standard);
  return standard;
}

const DAY_MS = 24 * 3_600_000;

describe('endpoint secret rotation', () => {
  it('signs with the new and the old secret during the overlap, then with the new one only', async () => {
    const call = await newMerchant();
    const receiver = await startWebhookReceiver();
    try {
      const created = await call('POST', '/api/v1/webhook-endpoints', { url: receiver.url });
      expect(created.status).toBe(201);
      const oldSecret = created.body.secret as string;
      expect(created.body.previousSecretExpiresAt).toBeNull();

      const rotated = await call('POST', `/api/v1/webhook-endpoints/${created.body.id}/rotate-secret`, {});
      expect(rotated.status).toBe(200);
      const newSecret = rotated.body.secret as string;
      expect(newSecret).not.toBe(oldSecret);
      // The default overlap: 24 h from now (a minute's slack for the request).
      expect(Math.abs(Date.parse(rotated.body.previousSecretExpiresAt) - (Date.now() + DAY_MS))).toBeLessThan(60_000);

      const during = await sendTest(call, receiver, created.body.id);
      expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(accepts(oldSecret, during)).toBe(true);
      expect(accepts(newSecret, during)).toBe(true);

      await system.database.db.execute(
        sql`update webhook_endpoints set previous_secret_expires_at = now() - interval '1 second' where id = ${created.body.id}`,
      );
      const after = await sendTest(call, receiver, created.body.id);
      expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
      expect(accepts(newSecret, after)).toBe(true);
      expect(accepts(oldSecret, after)).toBe(false);
      expect((await call('GET', `/api/v1/webhook-endpoints/${created.body.id}`)).body.previousSecretExpiresAt).toBeNull();
    } finally {
      await receiver.close();
    }
  });

  it('drops the older secret at once when rotated again within the overlap', async () => {
    const call = await newMerchant();
    const receiver = await startWebhookReceiver();
    try {
      const created = await call('POST', '/api/v1/webhook-endpoints', { url: receiver.url });
      const second = (await call('POST', `/api/v1/webhook-endpoints/${created.body.id}/rotate-secret`, {})).body.secret as string;
      const third = (await call('POST', `/api/v1/webhook-endpoints/${created.body.id}/rotate-secret`, {})).body.secret as string;
      const delivery = await sendTest(call, receiver, created.body.id);
      expect(accepts(third, delivery)).toBe(true);
      expect(accepts(second, delivery)).toBe(true);
      expect(accepts(created.body.secret, delivery)).toBe(false);
      // The secret can be shown again (the dashboard asks first).
      expect((await call('GET', `/api/v1/webhook-endpoints/${created.body.id}/secret`)).body.secret).toBe(third);
    } finally {
      await receiver.close();
    }
  });
});

describe("default secret rotation (payments' own webhookUrl)", () => {
  it('signs with the new and the old default secret during the overlap, then with the new one only', async () => {
    const call = await newMerchant();
    const receiver = await startWebhookReceiver();
    try {
      const shown = await call('GET', '/api/v1/webhook-secret');
      expect(shown.status).toBe(200);
      const oldSecret = shown.body.secret as string;
      expect(oldSecret).toMatch(/^whsec_/);
      // Shown again, it is the same secret: reading does not rotate.
      expect((await call('GET', '/api/v1/webhook-secret')).body.secret).toBe(oldSecret);

      const rotated = await call('POST', '/api/v1/webhook-secret/rotate', {});
      const newSecret = rotated.body.secret as string;
      expect(newSecret).not.toBe(oldSecret);
      expect(Date.parse(rotated.body.previousSecretExpiresAt)).toBeGreaterThan(Date.now() + DAY_MS - 60_000);

      const during = await paymentWebhook(call, receiver);
      expect(accepts(oldSecret, during)).toBe(true);
      expect(accepts(newSecret, during)).toBe(true);

      await system.database.db.execute(
        sql`update merchants set previous_webhook_secret_expires_at = now() - interval '1 second'
            where previous_webhook_secret = ${oldSecret}`,
      );
      const after = await paymentWebhook(call, receiver);
      expect(accepts(newSecret, after)).toBe(true);
      expect(accepts(oldSecret, after)).toBe(false);
    } finally {
      await receiver.close();
    }
  });
});

// The endpoint calls the dashboard's endpoint page uses, on the same system.
describe('endpoint management', () => {
  it('updates URL and event types, refusing an internal URL with a 400 that names the field', async () => {
    const call = await newMerchant();
    const created = await call('POST', '/api/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/a' });
    const refused = await call('POST', `/api/v1/webhook-endpoints/${created.body.id}`, { url: 'http://169.254.169.254/latest' });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/^url: .*internal address 169\.254\.169\.254/);
    const updated = await call('POST', `/api/v1/webhook-endpoints/${created.body.id}`, {
      url: 'http://127.0.0.1:9/b',
      eventTypes: ['payment.completed'],
    });
    expect(updated.status).toBe(200);
    const read = await call('GET', `/api/v1/webhook-endpoints/${created.body.id}`);
    expect(read.body).toMatchObject({ url: 'http://127.0.0.1:9/b', eventTypes: ['payment.completed'] });
  });

  it('reports success rate, failed messages and the last error', async () => {
    const call = await newMerchant();
    let failing = true;
    const receiver = await startWebhookReceiver(() => (failing ? 500 : 200));
    try {
      const created = await call('POST', '/api/v1/webhook-endpoints', { url: receiver.url });
      const fresh = await call('GET', `/api/v1/webhook-endpoints/${created.body.id}`);
      expect(fresh.body.stats).toEqual({ recentAttempts: 0, successRate: null, failedMessages: 0, lastError: null });

      // Four attempts (the test schedule), all answered 500: a dead letter.
      const failed = await call('POST', `/api/v1/webhook-endpoints/${created.body.id}/test`, {});
      await waitFor(
        async () => (await call('GET', `/api/v1/webhook-messages?endpointId=${created.body.id}&status=failed`)).body[0],
        'the dead letter',
      );
      failing = false;
      await sendTest(call, receiver, created.body.id);
      const { stats } = (await call('GET', `/api/v1/webhook-endpoints/${created.body.id}`)).body;
      expect(stats).toMatchObject({ recentAttempts: 5, successRate: 0.2, failedMessages: 1 });
      expect(stats.lastError.message).toMatch(/HTTP 500/);
      expect(Date.parse(stats.lastError.at)).toBeLessThanOrEqual(Date.now());
      expect(failed.body.messageId).toMatch(/^msg_/);
    } finally {
      await receiver.close();
    }
  });

  it('deletes an endpoint and keeps its messages for audit', async () => {
    const call = await newMerchant();
    const receiver = await startWebhookReceiver();
    try {
      const created = await call('POST', '/api/v1/webhook-endpoints', { url: receiver.url });
      await sendTest(call, receiver, created.body.id);
      const deleted = await call('POST', `/api/v1/webhook-endpoints/${created.body.id}/delete`, {});
      expect(deleted).toEqual({ status: 200, body: { id: created.body.id, deleted: true } });
      expect((await call('GET', `/api/v1/webhook-endpoints/${created.body.id}`)).status).toBe(404);
      expect((await call('GET', '/api/v1/webhook-endpoints')).body).toEqual([]);
      expect((await call('GET', `/api/v1/webhook-messages?endpointId=${created.body.id}`)).body).toHaveLength(1);
      // Another merchant cannot delete it (nor learn it exists).
      const other = await newMerchant();
      const mine = await call('POST', '/api/v1/webhook-endpoints', { url: receiver.url });
      expect((await other('POST', `/api/v1/webhook-endpoints/${mine.body.id}/delete`, {})).status).toBe(404);
      expect((await call('GET', `/api/v1/webhook-endpoints/${mine.body.id}`)).status).toBe(200);
    } finally {
      await receiver.close();
    }
  });
});

describe('a deleted endpoint', () => {
  it('is not sent a message still being retried (nor is it signed with the default secret)', async () => {
    const call = await newMerchant();
    let calls = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const server = createServer((req, res) => {
      calls++;
      req.resume();
      // The first attempt hangs until the endpoint is deleted, then fails: the retry comes after the delete.
      void held.then(() => res.writeHead(500).end('no'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const created = await call('POST', '/api/v1/webhook-endpoints', { url });
      const { messageId } = (await call('POST', `/api/v1/webhook-endpoints/${created.body.id}/test`, {})).body;
      await waitFor(async () => calls === 1, 'the first attempt');
      expect((await call('POST', `/api/v1/webhook-endpoints/${created.body.id}/delete`, {})).status).toBe(200);
      release();
      const settled = await waitFor(async () => {
        const [m] = (await call('GET', `/api/v1/webhook-messages?endpointId=${created.body.id}`)).body;
        return m?.status === 'failed' ? m : undefined;
      }, 'the message to end');
      expect(settled).toMatchObject({ id: messageId, lastError: 'endpoint deleted' });
      expect(calls).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('Idempotency-Key on webhook commands', () => {
  it('answers a retried rotation, test event or endpoint creation with the first answer, and refuses a key reused elsewhere', async () => {
    const call = await newMerchant();
    const created = await call('POST', '/api/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/k', idempotencyKey: 'create-1' });
    const again = await call('POST', '/api/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/k', idempotencyKey: 'create-1' });
    expect(again.body).toEqual(created.body);
    expect((await call('GET', '/api/v1/webhook-endpoints')).body).toHaveLength(1);

    const path = `/api/v1/webhook-endpoints/${created.body.id}`;
    const first = await call('POST', `${path}/rotate-secret`, { idempotencyKey: 'rotate-1' });
    const retry = await call('POST', `${path}/rotate-secret`, { idempotencyKey: 'rotate-1' });
    expect(retry.body.secret).toBe(first.body.secret);
    // The retry did not rotate again: the first rotation's secret is the current one.
    expect((await call('GET', `${path}/secret`)).body.secret).toBe(first.body.secret);
    // Negative control: another key is another rotation.
    const other = await call('POST', `${path}/rotate-secret`, { idempotencyKey: 'rotate-2' });
    expect(other.body.secret).not.toBe(first.body.secret);

    const test1 = await call('POST', `${path}/test`, { idempotencyKey: 'test-1' });
    const test2 = await call('POST', `${path}/test`, { idempotencyKey: 'test-1' });
    expect(test2.body.messageId).toBe(test1.body.messageId);

    const reused = await call('POST', `${path}/test`, { idempotencyKey: 'rotate-1' });
    expect(reused.status).toBe(409);
    expect(reused.body.message).toMatch(/already used for another request/);
  });
});

type Call = Awaited<ReturnType<typeof newMerchant>>;
type Receiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

async function sendTest(call: Call, receiver: Receiver, endpointId: string): Promise<ReceivedWebhook> {
  const sent = await call('POST', `/api/v1/webhook-endpoints/${endpointId}/test`, {});
  expect(sent.status).toBe(200);
  return waitFor(async () => receiver.received.find((w) => w.headers['webhook-id'] === sent.body.messageId), 'the test event');
}

async function paymentWebhook(call: Call, receiver: Receiver): Promise<ReceivedWebhook> {
  const payment = await call('POST', '/api/v1/payments', { amount: 1000, currency: 'EUR', delaySeconds: 0, webhookUrl: receiver.url });
  expect(payment.status).toBe(201);
  return waitFor(async () => receiver.received.find((w) => w.body.payment_id === payment.body.id), "the payment's webhook");
}
