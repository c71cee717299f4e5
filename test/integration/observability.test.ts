import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { createLogger } from '../../common/logger.js';
import { startTestSystem, waitFor, type TestSystem } from '../harness.js';

const lines: string[] = [];
const capture = new Writable({
  write(chunk, _encoding, done) {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  },
});

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({
    logger: createLogger({ LOG_LEVEL: 'info', NODE_ENV: 'test' }, capture),
    env: { ANONYMOUS_AS_DEMO: 'false' },
  });
});
afterAll(() => system?.stop());

async function scrape(): Promise<string> {
  return (await fetch(`${system.apiUrl}/metrics`)).text();
}

/** Sum of a metric's samples whose labels include every given pair. */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(\{([^}]*)\})? ([\d.e+-]+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const set = Object.fromEntries(
      (match[3] ?? '')
        .split(',')
        .filter(Boolean)
        .map((kv) => kv.split('=').map((p) => p.replace(/"/g, ''))),
    );
    if (Object.entries(labels).every(([k, v]) => set[k] === v)) sum += Number(match[4]);
  }
  return sum;
}

describe('metrics', () => {
  it('counters and histograms move when payments are created and finish', async () => {
    const { apiKey } = await createMerchant(system.database.db, 'Metrics');
    const before = await scrape();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${system.apiUrl}/api/v1/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey.key },
        body: JSON.stringify({ amount: 100, currency: 'EUR', delaySeconds: 0 }),
      });
      ids.push(((await res.json()) as { id: string }).id);
    }
    for (const id of ids) await system.temporal.workflow.getHandle(id).result();
    const after = await waitFor(async () => {
      const text = await scrape();
      return (
        value(text, 'payments_finished_total', { status: 'completed' }) -
          value(before, 'payments_finished_total', { status: 'completed' }) >=
          3 && text
      );
    }, 'finished payments to be counted');

    expect(value(after, 'payments_created_total') - value(before, 'payments_created_total')).toBe(3);
    const route = { method: 'POST', route: '/api/v1/payments', status: '201' };
    expect(value(after, 'http_request_duration_seconds_count', route) - value(before, 'http_request_duration_seconds_count', route)).toBe(
      3,
    );
    expect(
      value(after, 'gateway_calls_total', { operation: 'capture', outcome: 'succeeded' }) -
        value(before, 'gateway_calls_total', { operation: 'capture', outcome: 'succeeded' }),
    ).toBe(3);
    expect(value(after, 'projection_lag_seconds_count') - value(before, 'projection_lag_seconds_count')).toBeGreaterThanOrEqual(6);
    expect(after).toMatch(/^# TYPE webhook_attempts_total counter/m);
    expect(after).toMatch(/^process_cpu_seconds_total/m);
  });

  it('route labels are route templates; unknown paths share one label, so clients cannot mint series', async () => {
    const series = (text: string) => text.split('\n').filter((l) => l.startsWith('http_request_duration_seconds_count')).length;
    await fetch(`${system.apiUrl}/api/v1/payments/pay_01ARZ3NDEKTSV4RRFFQ69G5FAV`);
    await fetch(`${system.apiUrl}/trpc/payments.get?input=${encodeURIComponent(JSON.stringify({ id: 'pay_01ARZ3NDEKTSV4RRFFQ69G5FAV' }))}`);
    for (let i = 0; i < 5; i++) await fetch(`${system.apiUrl}/no/such/${i}-${Math.random()}`);
    for (let i = 0; i < 5; i++) await fetch(`${system.apiUrl}/trpc/made.up${i}`);
    const before = await (await fetch(`${system.apiUrl}/metrics`)).text();
    for (let i = 0; i < 50; i++) await fetch(`${system.apiUrl}/random-${i}-${Math.random()}`);
    for (let i = 0; i < 50; i++) await fetch(`${system.apiUrl}/trpc/fake.proc${i}`);
    const after = await (await fetch(`${system.apiUrl}/metrics`)).text();
    expect(series(after)).toBe(series(before));
    expect(after).toContain('route="/api/v1/payments/{id}"');
    expect(after).toContain('route="/trpc/payments.get"');
    expect(after).toContain('route="unmatched"');
    expect(after).not.toMatch(/route="[^"]*(pay_01|random-|fake\.proc)/);
  });
});

describe('logs', () => {
  it("a payment's log lines carry its request, merchant, payment and workflow ids", async () => {
    const { id: merchantId, apiKey } = await createMerchant(system.database.db, 'Logs');
    const res = await fetch(`${system.apiUrl}/api/v1/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey.key, 'x-request-id': 'req-test-123' },
      body: JSON.stringify({ amount: 100, currency: 'EUR', delaySeconds: 600 }),
    });
    expect(res.headers.get('x-request-id')).toBe('req-test-123');
    const paymentId = ((await res.json()) as { id: string }).id;
    const created = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'payment created' && l.paymentId === paymentId);
    expect(created).toMatchObject({ requestId: 'req-test-123', merchantId, paymentId, workflowId: paymentId });
    const request = await waitFor(
      async () => lines.map((l) => JSON.parse(l)).find((l) => l.requestId === 'req-test-123' && l.msg === 'request completed'),
      'the request line',
    );
    expect(request).toMatchObject({ merchantId, res: { statusCode: 201 } });
    await fetch(`${system.apiUrl}/api/v1/payments/${paymentId}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey.key },
      body: '{}',
    });
  });

  it('an API key never appears in any log output of a request, whichever way it is sent', async () => {
    const { apiKey } = await createMerchant(system.database.db, 'Secrets');
    const start = lines.length;
    const key = apiKey.key;
    await fetch(`${system.apiUrl}/api/v1/payments`, { headers: { 'x-api-key': key } });
    await fetch(`${system.apiUrl}/api/v1/payments?apiKey=${key}`, { headers: { authorization: `Bearer ${key}` } });
    await fetch(`${system.apiUrl}/api/v1/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ amount: 'x', key }),
    });
    await fetch(`${system.apiUrl}/trpc/payments.list`, { headers: { authorization: `Bearer ${key}` } });
    await fetch(`${system.apiUrl}/api/v1/stats`, { headers: { 'x-api-key': `${key}-revoked` } });
    await waitFor(async () => lines.length - start >= 5, 'five request lines');
    const output = lines.slice(start).join('\n');
    expect(output).not.toContain(key);
    expect(output).not.toContain(key.slice(10));
  });
});
