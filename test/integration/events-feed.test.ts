import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { newPaymentId, paymentCreatedAt, paymentReference } from '../../common/payment-id.js';
import { PAYMENT_WORKFLOW_TYPE } from '../../common/workflow-api.js';
import { createPaymentsClient } from '../../client/index.js';
import { pruneEvents } from '../../db/event-feed.js';
import { startTestSystem, startWebhookReceiver, waitFor, type ReceivedWebhook, type TestSystem } from '../harness.js';

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({ env: { ANONYMOUS_AS_DEMO: 'false' } });
});
afterAll(() => system?.stop());

async function merchant(name: string) {
  const m = await createMerchant(system.database.db, name);
  const key = m.apiKey.key;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${system.apiUrl}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const createPayment = async () => {
    const res = await call('POST', '/api/v1/payments', { amount: 1000, currency: 'EUR', delaySeconds: 0 });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  return { id: m.id, key, call, createPayment, client: createPaymentsClient({ url: system.apiUrl, apiKey: key }) };
}
type Merchant = Awaited<ReturnType<typeof merchant>>;

const finished = (id: string) => system.temporal.workflow.getHandle(id).result();

/** Every event the feed lists now, through the REST door, newest first. */
async function wholeFeed(m: Merchant, query = '') {
  const all: Array<{ id: string; type: string; paymentId: string | null; data: any }> = [];
  let cursor: string | null = null;
  do {
    const res = await m.call('GET', `/api/v1/events?limit=100${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    all.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return all;
}

describe('the events feed', () => {
  it('pages older and newer with no gap and no duplicate while new events arrive, on every door', async () => {
    const m = await merchant('Feed pager');
    const first = await Promise.all(Array.from({ length: 6 }, () => m.createPayment()));
    await Promise.all(first.map(finished));
    const before = await wholeFeed(m);
    // One feed event per timeline entry of each payment.
    const timelines = await Promise.all(first.map((id) => m.call('GET', `/api/v1/payments/${id}/events`)));
    expect(before.length).toBe(timelines.reduce((n, t) => n + t.body.length, 0));
    expect(before.length).toBe(18);

    // Page older through the typed client while more payments arrive.
    const firstPage = await m.client.events.list.query({ limit: 5 });
    const paged = [...firstPage.items];
    const arriving = Array.from({ length: 4 }, () => m.createPayment());
    let cursor = firstPage.nextCursor;
    while (cursor) {
      const page = await m.client.events.list.query({ limit: 5, cursor });
      paged.push(...page.items);
      cursor = page.nextCursor;
    }
    const later = await Promise.all(arriving);
    await Promise.all(later.map(finished));
    expect(paged.map((e) => e.id)).toEqual(before.map((e) => e.id));

    // Poll newer from the first page's prevCursor (tRPC door, small pages): exactly what arrived since.
    const polled: typeof paged = [];
    let resume = firstPage.prevCursor!;
    for (let deadline = Date.now() + 15_000; Date.now() < deadline;) {
      const page = await m.client.events.list.query({ limit: 3, before: resume });
      polled.unshift(...page.items);
      resume = page.prevCursor!;
      if (page.items.length === 0 && polled.length >= 12) break;
    }
    expect(polled.length).toBe(12);
    expect(new Set(polled.map((e) => e.paymentId))).toEqual(new Set(later));
    const everything = await wholeFeed(m);
    expect(everything.map((e) => e.id)).toEqual([...polled, ...paged].map((e) => e.id));
    expect(new Set(everything.map((e) => e.id)).size).toBe(everything.length);
    // Newest first. Event numbers need not fall (concurrent writers draw them in another order than they
    // commit, which is why the feed orders by transaction); a payment's own events, written one after
    // another, do come newest first.
    for (const id of [...first, ...later]) {
      const sequences = everything.filter((e) => e.paymentId === id).map((e) => e.data.sequence as number);
      expect(sequences).toEqual([3, 2, 1]);
    }
  });

  it('filters by type and payment, names a bad type, and shows a foreign merchant nothing', async () => {
    const m = await merchant('Feed filter');
    const other = await merchant('Feed stranger');
    const ids = await Promise.all([m.createPayment(), m.createPayment(), m.createPayment()]);
    await Promise.all(ids.map(finished));

    const completed = await wholeFeed(m, '&types=payment.completed');
    expect(completed.map((e) => e.type)).toEqual(['payment.completed', 'payment.completed', 'payment.completed']);
    const two = await wholeFeed(m, '&types=payment.completed&types=payment.created');
    expect(two.length).toBe(6);
    const one = await wholeFeed(m, `&paymentId=${ids[0]}`);
    expect(one.map((e) => e.type)).toEqual(['payment.completed', 'payment.processing', 'payment.created']);
    expect(one[0]!.data).toMatchObject({ type: 'payment.completed', payment_id: ids[0], payment: { status: 'completed' } });

    const bad = await m.call('GET', '/api/v1/events?types=payment.exploded');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/types.*must be one or more of payment.created, .*refund.succeeded/);
    const badCursor = await m.call('GET', '/api/v1/events?cursor=nonsense');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.message).toMatch(/cursor/);

    expect(await wholeFeed(other)).toEqual([]);
    expect(await wholeFeed(other, `&paymentId=${ids[0]}`)).toEqual([]);
    // Another merchant's cursor positions nothing of ours either.
    const mine = await m.call('GET', '/api/v1/events?limit=1');
    expect((await other.call('GET', `/api/v1/events?cursor=${mine.body.nextCursor}`)).body.items).toEqual([]);
  });

  it('a row committing late never lands behind a cursor already given out', async () => {
    const m = await merchant('Feed late commit');
    const start = await m.call('GET', '/api/v1/events');
    expect(start.body.items).toEqual([]);
    const resume = start.body.prevCursor as string;
    const insert = (q: pg.Pool | pg.PoolClient, n: number) =>
      q.query(`insert into events (merchant_id, type, payload) values ($1, 'payment.created', $2) returning id`, [m.id, { n }]);

    const slow = await system.database.pool.connect();
    try {
      await slow.query('begin');
      const early = (await insert(slow, 1)).rows[0].id; // the lower id, committed last
      const late = (await insert(system.database.pool, 2)).rows[0].id;
      expect(Number(late)).toBeGreaterThan(Number(early));
      // A poller now sees nothing: the committed row waits for the older transaction.
      const meanwhile = await m.call('GET', `/api/v1/events?before=${resume}`);
      expect(meanwhile.body.items).toEqual([]);
      await slow.query('commit');
      const after = await m.call('GET', `/api/v1/events?before=${meanwhile.body.prevCursor}`);
      expect(after.body.items.map((e: { id: string }) => e.id)).toEqual([`evt_${late}`, `evt_${early}`]);
    } finally {
      slow.release();
    }
  });

  it('lists only events within the retention window; the prune deletes older ones in bounded batches', async () => {
    const m = await merchant('Feed retention');
    const id = await m.createPayment();
    await finished(id);
    const pool = system.database.pool;
    await pool.query(
      `insert into events (merchant_id, type, payload, created_at)
       select $1, 'payment.created', '{}'::jsonb, now() - interval '40 days' from generate_series(1, 5)`,
      [m.id],
    );
    const count = async () => Number((await pool.query(`select count(*) from events where merchant_id = $1`, [m.id])).rows[0].count);
    expect(await count()).toBe(8);
    expect((await wholeFeed(m)).length).toBe(3); // default EVENT_RETENTION 30d

    const retention = system.config.EVENT_RETENTION;
    expect(await pruneEvents(system.database.db, retention, 2, 1)).toBe(2);
    await pruneEvents(system.database.db, retention, 2, 100);
    expect(await count()).toBe(3);
    expect((await wholeFeed(m)).length).toBe(3);
  });
});

function verify(secret: string, delivery: ReceivedWebhook) {
  const headers = {
    'webhook-id': String(delivery.headers['webhook-id']),
    'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
    'webhook-signature': String(delivery.headers['webhook-signature']),
  };
  expect(() => new Webhook(secret).verify(delivery.raw, headers)).not.toThrow();
  expect(() => new Webhook(secret).verify(delivery.raw.replace('"', ' "'), headers)).toThrow();
}

describe('notices are events, sent to the endpoints that subscribe to them', () => {
  it('a dead-lettered message becomes a webhook.message.failed event, delivered signed to a subscriber and to no one else', async () => {
    const m = await merchant('Notice subscriber');
    const dead = await startWebhookReceiver(() => 500);
    const listener = await startWebhookReceiver();
    const everything = await startWebhookReceiver();
    try {
      const failing = (await m.call('POST', '/api/v1/webhook-endpoints', { url: dead.url, eventTypes: ['payment.completed'] })).body;
      const subscriber = (await m.call('POST', '/api/v1/webhook-endpoints', { url: listener.url, eventTypes: ['webhook.message.failed'] }))
        .body;
      await m.call('POST', '/api/v1/webhook-endpoints', { url: everything.url, eventTypes: [] });
      const id = await m.createPayment();
      await finished(id);

      await waitFor(async () => listener.received.length > 0, 'the notice delivered');
      const [notice] = listener.received;
      verify(subscriber.secret, notice!);
      expect(notice!.body).toMatchObject({
        type: 'webhook.message.failed',
        data: { endpointId: failing.id, paymentId: id, detail: expect.stringMatching(/payment.completed .* failed 4 times/) },
      });
      const [event] = await wholeFeed(m, '&types=webhook.message.failed');
      expect(event).toMatchObject({ type: 'webhook.message.failed', paymentId: id });
      // The feed carries what the webhook carried.
      expect(event!.data).toEqual(notice!.body);
      const completed = (await wholeFeed(m, `&types=payment.completed&paymentId=${id}`))[0]!;
      expect(completed.data).toEqual(everything.received.find((w) => w.body.type === 'payment.completed')!.body);
      // An empty subscription means every payment event, not the notices.
      expect(everything.received.map((w) => w.body.type)).toEqual(['payment.created', 'payment.processing', 'payment.completed']);
      expect(listener.received.length).toBe(1);
    } finally {
      await Promise.all([dead.close(), listener.close(), everything.close()]);
    }
  });

  it('a notice that cannot be delivered is recorded once and sent no further: no notice loop', async () => {
    const m = await merchant('Notice loop');
    const dead = await startWebhookReceiver(() => 500);
    try {
      const endpoint = (
        await m.call('POST', '/api/v1/webhook-endpoints', { url: dead.url, eventTypes: ['payment.completed', 'webhook.message.failed'] })
      ).body;
      const id = await m.createPayment();
      await finished(id);
      // The payment's message dead-letters, its notice is sent to the same dead endpoint and dead-letters too.
      const messages = async () => (await m.call('GET', `/api/v1/webhook-messages?endpointId=${endpoint.id}`)).body as any[];
      await waitFor(async () => {
        const all = await messages();
        return all.length === 2 && all.every((x) => x.status === 'failed');
      }, 'both messages dead-lettered');
      // The second notice was written before its message settled, with any message it made: none.
      const notices = await wholeFeed(m, '&types=webhook.message.failed');
      expect(notices.length).toBe(2);
      expect((await messages()).map((x) => x.eventType).sort()).toEqual(['payment.completed', 'webhook.message.failed']);
      expect(dead.calls()).toBe(8);
    } finally {
      await dead.close();
    }
  });

  it('an endpoint disabled by 410 Gone is announced to subscribers, not to itself', async () => {
    const m = await merchant('Notice disabled');
    const gone = await startWebhookReceiver(() => 410);
    const listener = await startWebhookReceiver();
    try {
      const goneEndpoint = (
        await m.call('POST', '/api/v1/webhook-endpoints', { url: gone.url, eventTypes: ['payment.completed', 'webhook.endpoint.disabled'] })
      ).body;
      await m.call('POST', '/api/v1/webhook-endpoints', { url: listener.url, eventTypes: ['webhook.endpoint.disabled'] });
      const id = await m.createPayment();
      await finished(id);
      await waitFor(async () => listener.received.length > 0, 'the disabled notice delivered');
      expect(listener.received[0]!.body).toMatchObject({ type: 'webhook.endpoint.disabled', data: { endpointId: goneEndpoint.id } });
      expect((await wholeFeed(m, '&types=webhook.endpoint.disabled')).length).toBe(1);
      expect(gone.calls()).toBe(1);
    } finally {
      await Promise.all([gone.close(), listener.close()]);
    }
  });

  it('a payment the read model refuses is announced from the projection (a local activity) to a subscriber', async () => {
    const m = await merchant('Notice refused');
    const listener = await startWebhookReceiver();
    try {
      await m.call('POST', '/api/v1/webhook-endpoints', { url: listener.url, eventTypes: ['payment.projection_refused'] });
      const paymentId = newPaymentId();
      // Around the API, which would refuse the NUL: only the database does.
      const handle = await system.temporal.workflow.start(PAYMENT_WORKFLOW_TYPE, {
        workflowId: paymentId,
        taskQueue: system.config.TEMPORAL_TASK_QUEUE,
        args: [
          {
            paymentId,
            merchantId: m.id,
            paymentMethodId: null,
            reference: paymentReference(paymentId),
            amount: 100,
            currency: 'EUR',
            delaySeconds: 0,
            webhookUrl: null,
            data: { note: 'a\u0000b' },
            description: null,
            createdAt: paymentCreatedAt(paymentId),
          },
        ],
      });
      expect((await handle.result()).status).toBe('failed');
      await waitFor(async () => listener.received.length > 0, 'the refused notice delivered');
      expect(listener.received[0]!.body).toMatchObject({ type: 'payment.projection_refused', data: { paymentId } });
      const [event] = await wholeFeed(m, `&types=payment.projection_refused&paymentId=${paymentId}`);
      expect(event!.data).toEqual(listener.received[0]!.body);
    } finally {
      await listener.close();
    }
  });
});
