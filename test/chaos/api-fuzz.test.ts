import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { startTestSystem, type TestSystem } from '../harness.js';
import { scaled } from './scale.js';

let system: TestSystem;
let key: string;
let routes: Array<{ method: string; path: string }>;

beforeAll(async () => {
  system = await startTestSystem({ env: { ANONYMOUS_AS_DEMO: 'false' } });
  key = (await createMerchant(system.database.db, 'Fuzz')).apiKey.key;
  const doc = (await (await fetch(`${system.apiUrl}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
});
afterAll(() => system?.stop());

const FIELDS = [
  'amount',
  'currency',
  'delaySeconds',
  'webhookUrl',
  'data',
  'description',
  'idempotencyKey',
  'paymentMethodId',
  'status',
  'merchantId',
  'id',
  'limit',
  'cursor',
  'url',
  'eventTypes',
  'enabled',
  'since',
  'sleep',
  'webhook_url',
  'reason',
  'type',
  'last4',
];
const idLike = fc.oneof(
  fc.constantFrom(
    'pay_01ARZ3NDEKTSV4RRFFQ69G5FAV',
    'we_01ARZ3NDEKTSV4RRFFQ69G5FAV',
    'msg_abcdefghijklmnopqrstuvwxyz',
    '%00',
    '..',
    'pay_',
    '',
  ),
  fc.string({ maxLength: 40 }),
);
const value = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 50 }),
  fc.constant(null),
  fc.constantFrom('EUR', 'http://127.0.0.1:9/x', 'http://10.0.0.1/x', '2026-01-01T00:00:00Z', -1, 0, 1e20),
);
const body = fc.oneof(fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 }), fc.anything({ maxDepth: 3 }));
const rawBody = fc.oneof(
  body.map((b) => ({ text: JSON.stringify(b) ?? 'null', type: 'application/json' })),
  fc.string({ maxLength: 200 }).map((text) => ({ text, type: 'application/json' })),
  fc.constantFrom(
    { text: '{"amount":', type: 'application/json' },
    { text: 'amount=1', type: 'application/x-www-form-urlencoded' },
    { text: '', type: 'text/plain' },
  ),
);
const query = fc.dictionary(fc.constantFrom(...FIELDS), fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String)), { maxKeys: 4 });

describe('bad input at volume', () => {
  it(
    'requests generated from the OpenAPI document never get a 5xx, and every 4xx carries a code and a message',
    { timeout: 300_000 },
    async () => {
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(fc.nat(), idLike, rawBody, query, async (pick, id, payload, params) => {
          const route = routes[pick % routes.length]!;
          const path = route.path.replace('{id}', encodeURIComponent(id));
          const url = `${system.apiUrl}${path}?${new URLSearchParams(params)}`;
          const res = await fetch(url, {
            method: route.method,
            headers: { 'x-api-key': key, 'content-type': payload.type },
            body: route.method === 'GET' ? undefined : payload.text,
          });
          sent += 1;
          const text = await res.text();
          expect(res.status, `${route.method} ${path} ${payload.text.slice(0, 200)} → ${text.slice(0, 300)}`).toBeLessThan(500);
          if (res.status >= 400) {
            const json = JSON.parse(text) as { code?: unknown; message?: unknown };
            expect(typeof json.code).toBe('string');
            expect(typeof json.message).toBe('string');
          }
        }),
        { numRuns: scaled(400, 4000) },
      );
      expect(sent).toBe(scaled(400, 4000));
    },
  );

  it('mass assignment (status, merchantId, version in a create body) changes nothing', async () => {
    const before = (await (await fetch(`${system.apiUrl}/api/v1/stats`, { headers: { 'x-api-key': key } })).json()) as { total: number };
    for (const extra of [{ status: 'completed' }, { merchantId: 'mer_demo' }, { version: 99 }, { id: 'pay_01ARZ3NDEKTSV4RRFFQ69G5FAV' }]) {
      const res = await fetch(`${system.apiUrl}/api/v1/payments`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 100, currency: 'EUR', ...extra }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { issues: Array<{ message: string }> }).issues[0]!.message).toMatch(/unknown field/);
    }
    const after = (await (await fetch(`${system.apiUrl}/api/v1/stats`, { headers: { 'x-api-key': key } })).json()) as { total: number };
    expect(after.total).toBe(before.total);
  });
});
