/**
 * Stripe (stripe-mock, behind Toxiproxy) and the simulator side by side in one merchant's route, on
 * real Temporal and Postgres: Stripe's answers are final, its outage moves traffic to the next
 * connector, its circuit opens and closes, and an attempt whose outcome is unknown is proven absent
 * before anything else is charged. stripe-mock is stateless and answers every confirmed
 * PaymentIntent `requires_payment_method`, so a payment Stripe takes always ends declined here.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMerchant } from '../../api/merchants.js';
import { simulatorCharges } from '../../db/schema.js';
import { restCaller, startTestSystem, waitFor, type TestSystem } from '../harness.js';
import { startToxiproxy, type Proxy, type ToxiproxyServer } from '../toxiproxy.js';

let system: TestSystem;
let toxiproxy: ToxiproxyServer;
let stripe: Proxy;
let call: ReturnType<typeof restCaller>;
let stripeAccount: string;
let simulatorAccount: string;

const RESET_MS = 1_500;

beforeAll(async () => {
  toxiproxy = await startToxiproxy();
  stripe = await toxiproxy.proxy('stripe', new URL(inject('stripeApiUrl')).host);
  system = await startTestSystem({
    env: {
      ANONYMOUS_AS_DEMO: 'false',
      STRIPE_API_URL: `http://${stripe.address}`,
      CONNECTOR_KEYS: `test:${randomBytes(32).toString('base64')}`,
      CONNECTOR_TIMEOUT_MS: '1000',
      CONNECTOR_BREAKER_RESET_MS: String(RESET_MS),
    },
  });
  const merchant = await createMerchant(system.database.db, 'Failover merchant');
  call = restCaller(system.apiUrl, { 'x-api-key': merchant.apiKey.key });
  const first = await call('POST', '/api/v1/connectors', {
    kind: 'stripe',
    label: 'Stripe',
    credentials: { secretKey: 'sk_test_failover4242' },
  });
  expect(first.status, first.text).toBe(201);
  const second = await call('POST', '/api/v1/connectors', { kind: 'simulator', label: 'Backup simulator' });
  expect(second.status, second.text).toBe(201);
  stripeAccount = first.body.id;
  simulatorAccount = second.body.id;
}, 180_000);

afterAll(async () => {
  await system?.stop();
  await toxiproxy?.stop();
});

type Attempt = { step: string; connectorAccountId: string | null; outcome: string; routeAttempt: number };

async function pay(): Promise<string> {
  const created = await call('POST', '/api/v1/payments', {
    amount: 1250,
    currency: 'EUR',
    delaySeconds: 0,
    data: { paymentMethodToken: 'pm_card_visa' },
  });
  expect(created.status, created.text).toBe(201);
  return created.body.id;
}

async function settled(id: string, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const p = (await call('GET', `/api/v1/payments/${id}`)).body;
      return ['completed', 'failed'].includes(p.status) && p;
    },
    `${id} to settle`,
    timeoutMs,
  );
}

const attemptsOf = async (id: string): Promise<Attempt[]> => (await call('GET', `/api/v1/payments/${id}/attempts`)).body;
const where = (a: Attempt) => [a.step, a.connectorAccountId === stripeAccount ? 'stripe' : 'simulator', a.outcome];

const ledgerOf = (id: string) => system.database.db.select().from(simulatorCharges).where(eq(simulatorCharges.paymentId, id));

describe('failover between Stripe and the simulator', () => {
  it('with Stripe up the payment goes to Stripe, whose decline is final: the simulator is never asked', async () => {
    const id = await pay();
    const payment = await settled(id);
    expect(payment).toMatchObject({ status: 'failed', connector: null });
    expect(payment.failureReason).toContain('requires_payment_method');
    expect((await attemptsOf(id)).map(where)).toEqual([['authorize', 'stripe', 'declined']]);
    expect(await ledgerOf(id)).toEqual([]);
  });

  it('Stripe goes down mid-run: payments move to the simulator, the circuit opens and skips Stripe unsent, each is charged once', async () => {
    await stripe.disable();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = await pay();
      ids.push(id);
      expect(await settled(id)).toMatchObject({ status: 'completed', connector: 'simulator', connectorAccountId: simulatorAccount });
    }
    const routes = await Promise.all(ids.map(attemptsOf));
    for (const attempts of routes) {
      expect(attempts.map(where)).toEqual([
        ['authorize', 'stripe', expect.stringMatching(/^(unavailable|skipped)$/)],
        ['authorize', 'simulator', 'succeeded'],
        ['capture', 'simulator', 'succeeded'],
      ]);
      expect(attempts[1]!.routeAttempt).toBe(2);
    }
    // Once half of at least three calls in the window failed, the circuit opens: later payments never dial Stripe.
    const outcomes = routes.map((a) => a[0]!.outcome);
    expect(outcomes[0]).toBe('unavailable');
    expect(outcomes.slice(-2)).toContain('skipped');
    for (const id of ids) expect((await ledgerOf(id)).map((l) => [l.status, l.amount])).toEqual([['captured', 1250]]);
    const metrics = await (await fetch(`${system.apiUrl}/metrics`)).text();
    expect(metrics).toContain(`connector_circuit_open{connector="stripe",account="${stripeAccount}"} 1`);
  });

  it('Stripe comes back: after the reset one call tries it, and traffic returns to it', async () => {
    await stripe.enable();
    const returned = await waitFor(
      async () => {
        const id = await pay();
        await settled(id);
        const [first] = await attemptsOf(id);
        return first!.outcome === 'declined' && id;
      },
      'a payment to reach Stripe again',
      RESET_MS * 10,
    );
    expect((await attemptsOf(returned)).map(where)).toEqual([['authorize', 'stripe', 'declined']]);
  });

  it('Stripe stalls (outcome unknown): nothing is charged elsewhere until its attempt is proven absent, then the simulator takes it', async () => {
    await stripe.addToxic('stall', { type: 'timeout', attributes: { timeout: 0 } });
    let id = '';
    try {
      id = await pay();
      // Three tries at Stripe time out, then its status lookups do too.
      await waitFor(
        async () => {
          const a = await attemptsOf(id);
          return a.filter((x) => x.step === 'status' && x.outcome === 'unknown').length >= 1 && a;
        },
        'a status lookup at Stripe to time out',
        60_000,
      );
      const meanwhile = await attemptsOf(id);
      expect(meanwhile.filter((a) => a.step === 'authorize').map(where)).toEqual([
        ['authorize', 'stripe', 'unknown'],
        ['authorize', 'stripe', 'unknown'],
        ['authorize', 'stripe', 'unknown'],
      ]);
      expect(await ledgerOf(id)).toEqual([]);
    } finally {
      await stripe.removeToxic('stall');
    }
    const payment = await settled(id, 60_000);
    expect(payment).toMatchObject({ status: 'completed', connectorAccountId: simulatorAccount });
    const steps = (await attemptsOf(id)).map(where);
    const proven = steps.findIndex((s) => s[0] === 'status' && s[2] === 'succeeded');
    const elsewhere = steps.findIndex((s) => s[1] === 'simulator');
    expect(proven).toBeGreaterThan(-1);
    expect(proven).toBeLessThan(elsewhere);
    expect((await ledgerOf(id)).map((l) => l.status)).toEqual(['captured']);
    const timeline = (await call('GET', `/api/v1/payments/${id}/events`)).body as Array<{ type: string; details: Record<string, unknown> }>;
    expect(timeline.find((e) => e.type === 'payment.completed')!.details).toMatchObject({
      connectorAccountId: simulatorAccount,
      failedOver: [{ connector: 'stripe', accountId: stripeAccount }],
    });
  }, 120_000);
});
