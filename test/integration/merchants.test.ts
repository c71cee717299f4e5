import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchant, issueApiKey, revokeApiKey } from '../../api/merchants.js';
import { startTestSystem, type TestSystem } from '../harness.js';

let system: TestSystem;
let a: { id: string; key: string };
let b: { id: string; key: string };

beforeAll(async () => {
  system = await startTestSystem({ env: { ANONYMOUS_AS_DEMO: 'false', RATE_LIMIT_PER_MINUTE: '1000' } });
  const ma = await createMerchant(system.database.db, 'Merchant A');
  const mb = await createMerchant(system.database.db, 'Merchant B');
  a = { id: ma.id, key: ma.apiKey.key };
  b = { id: mb.id, key: mb.apiKey.key };
});
afterAll(() => system?.stop());

async function call(key: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${system.apiUrl}${path}`, {
    method,
    headers: {
      ...(key ? { 'x-api-key': key } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any, headers: res.headers };
}

describe('authentication', () => {
  it('requires a key when the demo fallback is off, and accepts X-API-Key and Bearer', async () => {
    const none = await call(undefined, 'GET', '/api/v1/payments');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(none.body.message).toMatch(/API key is required/);
    expect((await call('sk_nope', 'GET', '/api/v1/payments')).status).toBe(401);
    expect((await call(a.key, 'GET', '/api/v1/payments')).status).toBe(200);
    const bearer = await fetch(`${system.apiUrl}/api/v1/payments`, { headers: { authorization: `Bearer ${a.key}` } });
    expect(bearer.status).toBe(200);
    expect((await call(undefined, 'GET', '/payments')).status).toBe(401);
  });

  it('a revoked key gets 401 at once; the merchant keeps working with another key', async () => {
    const extra = await issueApiKey(system.database.db, a.id);
    expect((await call(extra.key, 'GET', '/api/v1/stats')).status).toBe(200);
    expect(await revokeApiKey(system.database.db, extra.id)).toBe(true);
    const revoked = await call(extra.key, 'GET', '/api/v1/stats');
    expect(revoked.status).toBe(401);
    expect(revoked.body.message).toMatch(/unknown or revoked/);
    expect((await call(a.key, 'GET', '/api/v1/stats')).status).toBe(200);
  });
});

describe('tenant isolation', () => {
  it("merchant A cannot read, list, cancel or process B's payments: 404, never the data", async () => {
    const created = await call(b.key, 'POST', '/api/v1/payments', { amount: 500, currency: 'EUR', delaySeconds: 600 });
    expect(created.status).toBe(201);
    const id = created.body.id;

    for (const [method, path, body] of [
      ['GET', `/api/v1/payments/${id}`],
      ['GET', `/api/v1/payments/${id}/events`],
      ['POST', `/api/v1/payments/${id}/cancel`, {}],
      ['POST', `/api/v1/payments/${id}/process-now`, {}],
      ['GET', `/payment/${id}`],
      ['POST', `/payment/${id}/cancel`, {}],
    ] as const) {
      const res = await call(a.key, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(JSON.stringify(res.body)).not.toContain('"amount"');
    }
    const listA = await call(a.key, 'GET', '/api/v1/payments?limit=100');
    expect(listA.body.items.map((p: { id: string }) => p.id)).not.toContain(id);
    expect((await call(a.key, 'GET', '/payments')).body.map((p: { id: string }) => p.id)).not.toContain(id);
    const statsA = (await call(a.key, 'GET', '/api/v1/stats')).body;
    const statsB = (await call(b.key, 'GET', '/api/v1/stats')).body;
    expect(statsB.byStatus.pending).toBeGreaterThanOrEqual(1);
    expect(statsA.byStatus.pending).toBe(0);

    // B still owns it, untouched.
    expect((await call(b.key, 'GET', `/api/v1/payments/${id}`)).body.status).toBe('pending');
    expect((await call(b.key, 'POST', `/api/v1/payments/${id}/cancel`, {})).body.status).toBe('canceled');
  });

  it('idempotency keys are per merchant', async () => {
    const key = `shared-${Date.now()}`;
    const body = { amount: 100, currency: 'EUR', delaySeconds: 600 };
    const pa = await call(a.key, 'POST', '/api/v1/payments', body, { 'idempotency-key': key });
    const pb = await call(b.key, 'POST', '/api/v1/payments', body, { 'idempotency-key': key });
    expect(pa.body.id).not.toBe(pb.body.id);
    await call(a.key, 'POST', `/api/v1/payments/${pa.body.id}/cancel`, {});
    await call(b.key, 'POST', `/api/v1/payments/${pb.body.id}/cancel`, {});
  });

  it('concurrent duplicate creates with one key yield one payment and one workflow', async () => {
    const key = `race-${Date.now()}`;
    const body = { amount: 250, currency: 'EUR', delaySeconds: 600 };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => call(a.key, 'POST', '/api/v1/payments', body, { 'idempotency-key': key })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
    const ids = new Set(results.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const [id] = ids;
    const runs = [];
    for await (const w of system.temporal.workflow.list({ query: `WorkflowId = '${id}'` })) runs.push(w);
    expect(runs).toHaveLength(1);
    await call(a.key, 'POST', `/api/v1/payments/${id}/cancel`, {});
  });
});

describe('payment methods', () => {
  it("stores no raw card data, and a payment may use only the merchant's own method", async () => {
    const raw = await call(a.key, 'POST', '/api/v1/payment-methods', { type: 'card', number: '4242424242424242', cvc: '123' });
    expect(raw.status).toBe(400);
    expect(raw.body.issues[0].message).toBe('unknown fields "number", "cvc"; remove them');

    const method = await call(a.key, 'POST', '/api/v1/payment-methods', { type: 'card', brand: 'visa', last4: '4242', label: 'corporate' });
    expect(method.status).toBe(201);
    expect(method.body).toMatchObject({ type: 'card', brand: 'visa', last4: '4242' });
    expect((await call(b.key, 'GET', '/api/v1/payment-methods')).body.map((m: { id: string }) => m.id)).not.toContain(method.body.id);

    const paid = await call(a.key, 'POST', '/api/v1/payments', {
      amount: 100,
      currency: 'EUR',
      delaySeconds: 600,
      paymentMethodId: method.body.id,
    });
    expect(paid.body.paymentMethodId).toBe(method.body.id);
    await call(a.key, 'POST', `/api/v1/payments/${paid.body.id}/cancel`, {});

    const foreign = await call(b.key, 'POST', '/api/v1/payments', { amount: 100, currency: 'EUR', paymentMethodId: method.body.id });
    expect(foreign.status).toBe(422);
    expect(foreign.body.message).toMatch(/paymentMethodId: no payment method/);
  });
});

describe('limits', () => {
  it('answers 429 with Retry-After past the per-key rate, without touching other keys', async () => {
    const limited = await startTestSystem({ env: { ANONYMOUS_AS_DEMO: 'false', RATE_LIMIT_PER_MINUTE: '5' } });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 7; i++) {
        const res = await fetch(`${limited.apiUrl}/api/v1/stats`, { headers: { 'x-api-key': a.key } });
        statuses.push(res.status);
        if (res.status === 429) {
          retryAfter = res.headers.get('retry-after');
          expect(await res.json()).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
        }
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      const other = await fetch(`${limited.apiUrl}/api/v1/stats`, { headers: { 'x-api-key': b.key } });
      expect(other.status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  it('has no holes: each call of a tRPC batch counts, made-up keys are limited per address, every route is limited', async () => {
    const limited = await startTestSystem({
      env: { ANONYMOUS_AS_DEMO: 'false', RATE_LIMIT_PER_MINUTE: '10', AUTH_FAILURES_PER_MINUTE: '5' },
    });
    try {
      // A batch of eight calls spends eight of the ten; the next batch of eight is refused.
      const batch = (n: number) =>
        fetch(
          `${limited.apiUrl}/trpc/${Array(n).fill('payments.stats').join(',')}?batch=1&input=${encodeURIComponent(JSON.stringify({}))}`,
          { headers: { 'x-api-key': a.key } },
        );
      expect((await batch(8)).status).toBe(200);
      expect((await batch(8)).status).toBe(429);
      // Counted as tRPC reads them: the last segment, decoded; and /TRPC does not reach tRPC at all.
      const other = await issueApiKey(limited.database.db, b.id);
      const names = Array(11).fill('payments.stats').join(',');
      const odd = (path: string) =>
        fetch(`${limited.apiUrl}${path}?batch=1&input=${encodeURIComponent('{}')}`, { headers: { 'x-api-key': other.key } });
      expect((await odd(`/trpc/x/${names}`)).status).toBe(429);
      expect((await odd(`/trpc/${encodeURIComponent(names)}`)).status).toBe(429);
      const third = await issueApiKey(limited.database.db, b.id);
      const upper = await fetch(`${limited.apiUrl}/TRPC/payments.stats?input=${encodeURIComponent('{}')}`, {
        headers: { 'x-api-key': third.key },
      });
      expect(upper.status).toBe(404);
      // A route that was once missing from a hand-kept list is limited like the rest.
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++)
        statuses.push(
          (await fetch(`${limited.apiUrl}/api/v1/webhook-secret/rotate`, { method: 'POST', headers: { 'x-api-key': b.key } })).status,
        );
      expect(statuses).toEqual([...Array(10).fill(200), 429]);
      // Every made-up key used to get a bucket of its own: past five failures the address is refused.
      const worked = await issueApiKey(limited.database.db, a.id);
      expect((await fetch(`${limited.apiUrl}/api/v1/stats`, { headers: { 'x-api-key': worked.key } })).status).toBe(200);
      const made = [];
      for (let i = 0; i < 8; i++)
        made.push((await fetch(`${limited.apiUrl}/api/v1/stats`, { headers: { 'x-api-key': `sk_made_up_${i}_${Math.random()}` } })).status);
      expect(made.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(made.slice(5)).toEqual([429, 429, 429]);
      // From the locked address, an unseen key is refused before any lookup; a key that worked lately is served.
      const unseen = await issueApiKey(limited.database.db, a.id);
      expect((await fetch(`${limited.apiUrl}/api/v1/stats`, { headers: { 'x-api-key': unseen.key } })).status).toBe(429);
      expect((await fetch(`${limited.apiUrl}/api/v1/stats`, { headers: { 'x-api-key': worked.key } })).status).toBe(200);
      // Another client behind a trusted proxy (the dashboard's server names the browser) is not locked out.
      const forwarded = await fetch(`${limited.apiUrl}/api/v1/stats`, {
        headers: { 'x-api-key': unseen.key, 'x-forwarded-for': '203.0.113.9' },
      });
      expect(forwarded.status).toBe(200);
      // Probes stay exempt.
      expect((await fetch(`${limited.apiUrl}/healthz`)).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  it('sends security headers and CORS only for configured origins', async () => {
    const allowed = await fetch(`${system.apiUrl}/api/v1/stats`, { headers: { 'x-api-key': a.key, origin: 'http://localhost:3000' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(allowed.headers.get('x-content-type-options')).toBe('nosniff');
    expect(allowed.headers.get('strict-transport-security')).toBeTruthy();
    const foreign = await fetch(`${system.apiUrl}/api/v1/stats`, { headers: { 'x-api-key': a.key, origin: 'https://evil.example' } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});
