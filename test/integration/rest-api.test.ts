import { readFile } from 'node:fs/promises';
import SwaggerParser from '@apidevtools/swagger-parser';
import createFetchClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentsClient } from '../../client/index.js';
import type { paths } from '../../client/openapi-types.js';
import { OPENAPI_TYPES_FILE, renderOpenApiTypes } from '../../dev/generate-openapi-types.js';
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

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${system.apiUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json, contentType: res.headers.get('content-type') };
}

const UNKNOWN = 'pay_01ARZ3NDEKTSV4RRFFQ69G5FAV';

describe('REST /api/v1', () => {
  it('serves every route with plain fetch', async () => {
    const created = await call('POST', '/api/v1/payments', { amount: 999, currency: 'JPY', delaySeconds: 60, data: { sku: 'x' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ amount: 999, currency: 'JPY', status: 'pending' });
    const id = created.body.id as string;

    expect((await call('GET', `/api/v1/payments/${id}`)).body).toMatchObject({ id, data: { sku: 'x' } });
    const list = await call('GET', '/api/v1/payments?status=pending&limit=5');
    expect(list.status).toBe(200);
    expect(list.body.items.map((p: { id: string }) => p.id)).toContain(id);
    expect((await call('GET', `/api/v1/payments/${id}/events`)).body.map((e: { type: string }) => e.type)).toEqual(['payment.created']);
    expect((await call('GET', '/api/v1/stats')).body.byStatus.pending).toBeGreaterThanOrEqual(1);
    const canceled = await call('POST', `/api/v1/payments/${id}/cancel`, { reason: 'test' });
    expect(canceled.body).toMatchObject({ id, status: 'canceled' });

    const other = (await call('POST', '/api/v1/payments', { amount: 5, currency: 'EUR', delaySeconds: 600 })).body.id;
    const hurried = await call('POST', `/api/v1/payments/${other}/process-now`, {});
    expect(hurried.status).toBe(200);
    await waitFor(async () => (await call('GET', `/api/v1/payments/${other}`)).body.status === 'completed', 'processed payment');
  });

  it('honours the Idempotency-Key header', async () => {
    const key = `rest-${Date.now()}`;
    const body = { amount: 100, currency: 'EUR', delaySeconds: 600 };
    const a = await call('POST', '/api/v1/payments', body, { 'idempotency-key': key });
    const b = await call('POST', '/api/v1/payments', body, { 'idempotency-key': key });
    expect(b.body.id).toBe(a.body.id);
    const c = await call('POST', '/api/v1/payments', { ...body, amount: 101 }, { 'idempotency-key': key });
    expect(c.status).toBe(409);
    expect(c.body).toMatchObject({ code: 'CONFLICT' });
    await call('POST', `/api/v1/payments/${a.body.id}/cancel`, {});
  });

  it.each([
    ['POST', '/api/v1/payments', '{"amount": 1,', 400, 'PARSE_ERROR'],
    ['POST', '/api/v1/payments', { amount: 'ten', currency: 'EUR' }, 400, 'BAD_REQUEST'],
    ['POST', '/api/v1/payments', { currency: 'EUR' }, 400, 'BAD_REQUEST'],
    ['POST', '/api/v1/payments', { amount: 1, currency: 'EUR', status: 'completed' }, 400, 'BAD_REQUEST'],
    ['POST', '/api/v1/payments', { amount: 1, currency: 'EUR', data: { blob: 'x'.repeat(70_000) } }, 413, 'PAYLOAD_TOO_LARGE'],
    ['GET', '/api/v1/payments?limit=1000', undefined, 400, 'BAD_REQUEST'],
    ['GET', '/api/v1/payments?status=lost', undefined, 400, 'BAD_REQUEST'],
    ['GET', '/api/v1/payments?createdFrom=yesterday', undefined, 400, 'BAD_REQUEST'],
    ['GET', `/api/v1/payments/${UNKNOWN}`, undefined, 404, 'NOT_FOUND'],
    ['GET', '/api/v1/payments/not-an-id', undefined, 404, 'NOT_FOUND'],
    ['POST', '/api/v1/payments/None/process-now', undefined, 404, 'NOT_FOUND'],
    ['GET', `/api/v1/payments/${UNKNOWN}/events`, undefined, 404, 'NOT_FOUND'],
    ['POST', `/api/v1/payments/${UNKNOWN}/cancel`, {}, 404, 'NOT_FOUND'],
    ['POST', `/api/v1/payments/${UNKNOWN}/process-now`, {}, 404, 'NOT_FOUND'],
    ['POST', '/payment', '{oops', 400, 'PARSE_ERROR'],
    ['POST', '/payment', { sleep: 'soon' }, 400, 'BAD_REQUEST'],
    ['POST', '/payment', { data: 'not an object' }, 400, 'BAD_REQUEST'],
    ['GET', `/payment/${UNKNOWN}`, undefined, 404, 'NOT_FOUND'],
    ['POST', `/payment/${UNKNOWN}/cancel`, {}, 404, 'NOT_FOUND'],
    ['GET', '/no/such/route', undefined, 404, 'NOT_FOUND'],
  ])('%s %s (case %#) answers %s %s in JSON', async (method, path, body, status, code) => {
    const res = await call(method, path, body);
    expect(res.status).toBe(status);
    expect(res.contentType).toMatch(/application\/json/);
    expect(res.body).toMatchObject({ code });
    expect(typeof res.body.message).toBe('string');
  });

  it('names the field and the rule in validation errors', async () => {
    const res = await call('POST', '/api/v1/payments', { currency: 'EUR', amount: 1, extra: true, delaySeconds: -1 });
    const fields = res.body.issues.map((i: { path: string[]; message: string }) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    expect(fields).toContain('delaySeconds: must be 0 or more');
    expect(fields).toContain('(body): unknown field "extra"; remove it');
    const missing = await call('POST', '/api/v1/payments', { amount: 5 });
    expect(missing.body.issues).toContainEqual(expect.objectContaining({ path: ['currency'], message: 'is required' }));
    const legacy = await call('POST', '/payment', { sleep: -1 });
    expect(legacy.body.issues[0]).toMatchObject({ path: ['sleep'], message: 'must be 0 or more' });
  });
});

describe("the earlier Go system's contract", () => {
  it('POST /payment → {id}; webhook {payment_id, timestamp, data} after the sleep; GET shows Running then Completed', async () => {
    const data = { order: 7, note: 'legacy', amount: 4321, currency: 'SEK' };
    const created = await call('POST', '/payment', { webhook_url: receiver.url, sleep: 1, data });
    expect(created.status).toBe(200);
    expect(Object.keys(created.body)).toEqual(['id']);
    const id = created.body.id as string;

    const running = await call('GET', `/payment/${id}`);
    expect(running.body).toMatchObject({ id, status: 'Running', result: null });
    expect(running.body.run_id).toEqual(expect.any(String));

    const hook = await waitFor(async () => receiver.received.find((w) => w.body.payment_id === id), 'the webhook');
    expect(hook.body).toMatchObject({ payment_id: id, data });
    expect(Date.parse(hook.body.timestamp as string)).not.toBeNaN();

    const done = await waitFor(async () => {
      const r = await call('GET', `/payment/${id}`);
      return r.body.status === 'Completed' && r.body;
    }, 'Completed');
    // As the Go document shows it: a JSON string holding {id, webhook_sent, webhook_response}.
    expect(typeof done.result).toBe('string');
    expect(JSON.parse(done.result)).toEqual({ id, webhook_sent: true, webhook_response: '' });
    expect((await call('GET', `/api/v1/payments/${id}`)).body).toMatchObject({ amount: 4321, currency: 'SEK', delaySeconds: 1 });
  });

  it('sleep defaults to 5 s; data is stored as given; a body-less cancel cancels without calling webhook_url; GET /payments lists', async () => {
    const data = { amount: 10.5, currency: 'points', nested: { list: [1, 'two', null] } };
    const { body } = await call('POST', '/payment', { webhook_url: receiver.url, data });
    // Amount and currency come from data only when valid; data itself is kept exactly.
    expect((await call('GET', `/api/v1/payments/${body.id}`)).body).toMatchObject({ delaySeconds: 5, amount: 100, currency: 'USD', data });
    // `curl -X POST …/cancel` exactly as the Go document writes it: no body, no content type.
    const res = await fetch(`${system.apiUrl}/payment/${body.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: body.id, status: 'Canceled' });
    await system.temporal.workflow.getHandle(body.id).result();
    const after = await call('GET', `/payment/${body.id}`);
    expect(JSON.parse(after.body.result)).toEqual({ id: body.id, webhook_sent: false, webhook_response: '' });
    // The Go system called webhook_url only when the sleep ended: a canceled payment posts nothing.
    expect(receiver.received.filter((w) => w.body.payment_id === body.id)).toEqual([]);
    const list = await call('GET', '/payments');
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body.find((p: { id: string }) => p.id === body.id)).toMatchObject({ status: 'Canceled' });
  });

  it("reads null and empty strings as Go's encoding/json did: not given; unknown fields are refused (a misspelt field is a 400)", async () => {
    const res = await call('POST', '/payment', { webhook_url: '', sleep: null, data: null });
    expect(res.status).toBe(200);
    const stored = await call('GET', `/api/v1/payments/${res.body.id}`);
    expect(stored.body).toMatchObject({ delaySeconds: 5, webhookUrl: null, data: {}, amount: 100, currency: 'USD' });
    await call('POST', `/payment/${res.body.id}/cancel`);
    const misspelt = await call('POST', '/payment', { webhookurl: 'http://127.0.0.1:9/x' });
    expect(misspelt.status).toBe(400);
    expect(misspelt.body.message).toMatch(/unknown field "webhookurl"/);
  });

  it("an id of the Go system's own form (a UUID) is simply not found", async () => {
    for (const path of ['/payment/550e8400-e29b-41d4-a716-446655440000', '/payment/550e8400-e29b-41d4-a716-446655440000/cancel']) {
      const res = await fetch(`${system.apiUrl}${path}`, { method: path.endsWith('cancel') ? 'POST' : 'GET' });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'NOT_FOUND' });
    }
  });
});

describe('one zod source, three doors', () => {
  it('serves a valid OpenAPI 3 document with every route', async () => {
    const { body } = await call('GET', '/api/v1/openapi.json');
    const validated = await SwaggerParser.validate(structuredClone(body));
    expect((validated as { openapi: string }).openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/payments',
        '/api/v1/payments/{id}',
        '/api/v1/payments/{id}/cancel',
        '/api/v1/payments/{id}/events',
        '/api/v1/payments/{id}/process-now',
        '/api/v1/payment-methods',
        '/api/v1/stats',
        '/payment',
        '/payment/{id}',
        '/payment/{id}/cancel',
        '/payments',
        '/api/v1/webhook-endpoints',
        '/api/v1/webhook-messages/{id}/redeliver',
      ]),
    );
    const docs = await fetch(`${system.apiUrl}/api/v1/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
  });

  it('no door coerces: a wrong type is the same 400 on REST, tRPC and the Go door, whichever was served first', async () => {
    const wrong = [true, [5], '0x10', '100', null, '  '];
    for (const amount of wrong) {
      // REST first: its bridge once set `coerce` on the shared schemas, and every door coerced after it.
      const rest = await call('POST', '/api/v1/payments', { amount, currency: 'EUR' });
      expect(rest.status, `REST amount ${JSON.stringify(amount)}`).toBe(400);
      expect(rest.body.issues[0]).toMatchObject({ path: ['amount'] });
      const viaTrpc = await system.trpc.payments.create.mutate({ amount: amount as unknown as number, currency: 'EUR' }).then(
        () => 200,
        (err: { data?: { httpStatus?: number } }) => err.data?.httpStatus,
      );
      expect(viaTrpc, `tRPC amount ${JSON.stringify(amount)}`).toBe(400);
      // On the Go door null means "not given", as Go's encoding/json read it.
      if (amount !== null) {
        const legacy = await call('POST', '/payment', { sleep: amount });
        expect(legacy.status, `Go sleep ${JSON.stringify(amount)}`).toBe(400);
      }
    }
    for (const delaySeconds of [null, '  ', '5']) {
      expect((await call('POST', '/api/v1/payments', { amount: 1, currency: 'EUR', delaySeconds })).status).toBe(400);
    }
    // Query strings are text: a number only where the field is one and the text spells it exactly.
    expect((await call('GET', '/api/v1/payments?limit=0x10')).status).toBe(400);
    expect((await call('GET', '/api/v1/payments?limit=10')).status).toBe(200);
  });

  it('asks who before how: a wrong content type answers 401 without a key, 415 with one', async () => {
    const sent = { method: 'POST', body: 'amount=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    const anonymous = await startTestSystem({ env: { ANONYMOUS_AS_DEMO: 'false' } });
    try {
      expect((await fetch(`${anonymous.apiUrl}/api/v1/payments`, sent)).status).toBe(401);
    } finally {
      await anonymous.stop();
    }
    const res = await fetch(`${system.apiUrl}/api/v1/payments`, sent);
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('the committed OpenAPI client types match the served document', async () => {
    expect(await readFile(OPENAPI_TYPES_FILE, 'utf8')).toBe(await renderOpenApiTypes());
  });

  it('an OpenAPI-typed client (openapi-fetch) creates and reads a payment', async () => {
    const client = createFetchClient<paths>({ baseUrl: system.apiUrl });
    const created = await client.POST('/api/v1/payments', { body: { amount: 321, currency: 'CHF', delaySeconds: 600 } });
    expect(created.response.status).toBe(201);
    const id = created.data!.id;
    const read = await client.GET('/api/v1/payments/{id}', { params: { path: { id } } });
    expect(read.data).toMatchObject({ id, amount: 321, currency: 'CHF', status: 'pending' });
    await client.POST('/api/v1/payments/{id}/cancel', { params: { path: { id } }, body: {} });
  });

  it('the exported tRPC client creates and reads a payment', async () => {
    const client = createPaymentsClient({ url: system.apiUrl });
    const created = await client.payments.create.mutate({ amount: 77, currency: 'NOK', delaySeconds: 600 });
    const [read, events] = await Promise.all([
      client.payments.get.query({ id: created.id }),
      client.payments.events.query({ id: created.id }),
    ]);
    expect(read).toMatchObject({ id: created.id, amount: 77, currency: 'NOK' });
    expect(events[0]!.type).toBe('payment.created');
    await client.payments.cancel.mutate({ id: created.id });
  });
});
