import { eq, TransactionRollbackError } from 'drizzle-orm';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../dev/ports.js';
import { startStripeMock, startStripeMockForMerchants, type StripeMock } from '../../dev/stripe-mock.js';
import { connectDatabase } from '../../db/client.js';
import { connectorAccounts, merchants } from '../../db/schema.js';
import { ConnectorDeclinedError, ConnectorUnavailableError, type Connector } from '../../worker/connectors/connector.js';
import { connectorError, secretRedactor } from '../../worker/connectors/stripe-errors.js';
import { createStripeConnector } from '../../worker/connectors/stripe.js';

/**
 * Every connector call against stripe-mock, which checks each request against Stripe's OpenAPI
 * spec and answers 400 (our ConnectorDeclinedError "400 invalid_request_error") to one that does
 * not conform: any other answer proves the request conforms. stripe-mock is stateless, so its
 * PaymentIntents are always `requires_payment_method`; what the connector makes of that is
 * asserted exactly, and the states it never shows are the unit tests' part (recorded responses).
 */

// stripe-mock takes any key that looks like a test key (letters and digits after `sk_test_`).
const SECRET = 'sk_test_IntegrationSecret4242';
let mock: StripeMock;
let connector: Connector;

beforeAll(async () => {
  mock = await startStripeMock();
  connector = createStripeConnector({ secretKey: SECRET, apiUrl: mock.url, timeoutMs: 5_000 });
});
afterAll(async () => {
  await mock?.stop();
});

const authorizeRequest = {
  paymentId: 'pay_stripemock',
  idempotencyKey: 'pay_stripemock/authorize/1',
  amount: 1250,
  currency: 'EUR',
  paymentMethodToken: 'pm_card_visa',
};
const held = (step: string) => ({
  paymentId: 'pay_stripemock',
  authorizationId: 'pi_stripemock',
  idempotencyKey: `pay_stripemock/${step}/1`,
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!err) throw new Error('expected the call to fail');
  expect(err.message).not.toContain(SECRET);
  return err;
}

const refusedBySpec = /^stripe: 400 invalid_request_error: Request validation error/;

describe('Stripe connector against stripe-mock', () => {
  it('authorize: create and confirm conform; the unconfirmable intent stripe-mock answers is a decline', async () => {
    const err = await failure(connector.authorize(authorizeRequest));
    expect(err).toBeInstanceOf(ConnectorDeclinedError);
    // Mapped from the answered status, not from a 400: both requests were accepted.
    expect(err.message).toBe('stripe: payment declined: requires_payment_method');
  });

  it('capture, with and without an amount, and void conform; the answered state is reported, not taken for success', async () => {
    for (const amount of [undefined, 600]) {
      const err = await failure(connector.capture({ ...held('capture'), amount }));
      expect(err.message).toMatch(/^stripe: capture left pi_stripemock requires_payment_method$/);
    }
    const err = await failure(connector.void(held('void')));
    expect(err.message).toMatch(/^stripe: cancel left pi_stripemock requires_payment_method$/);
  });

  it('refund conforms and succeeds', async () => {
    await expect(
      connector.refund({ ...held('refund'), refundId: 'ref_stripemock', amount: 400, currency: 'EUR' }),
    ).resolves.toBeUndefined();
  });

  it('status conforms by id and by replaying the creation: nothing held', async () => {
    await expect(connector.status({ ...authorizeRequest, authorizationId: 'pi_stripemock' })).resolves.toMatchObject({
      state: 'absent',
      authorizationId: expect.stringMatching(/^pi_/),
    });
    await expect(connector.status(authorizeRequest)).resolves.toMatchObject({
      state: 'absent',
      authorizationId: expect.stringMatching(/^pi_/),
    });
  });

  it('negative control: stripe-mock refuses requests that break the spec, and they map to declines', async () => {
    // Minor units are integers in Stripe's spec.
    for (const call of [
      () => connector.authorize({ ...authorizeRequest, amount: 12.5 }),
      () => connector.capture({ ...held('capture'), amount: 6.5 }),
      () => connector.refund({ ...held('refund'), refundId: 'ref_stripemock', amount: 4.5, currency: 'EUR' }),
    ]) {
      const err = await failure(call());
      expect(err).toBeInstanceOf(ConnectorDeclinedError);
      expect(err.message).toMatch(refusedBySpec);
    }
    // The SDK itself, with a capture method Stripe does not have.
    const sdk = new Stripe(SECRET, { ...sdkAddress(mock.url), maxNetworkRetries: 0 });
    const params = { amount: 1000, currency: 'eur', capture_method: 'sometimes' } as unknown as Stripe.PaymentIntentCreateParams;
    const err = await sdk.paymentIntents.create(params).then(
      () => undefined,
      (e: unknown) => connectorError(e, secretRedactor(SECRET)),
    );
    expect(err).toBeInstanceOf(ConnectorDeclinedError);
    expect(err?.message).toMatch(/capture_method.*not in enumeration/);
  });

  it('a Stripe that refuses connections is unavailable: on an unused port, and once stripe-mock has stopped', async () => {
    const nobody = createStripeConnector({ secretKey: SECRET, apiUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 5_000 });
    const err = await failure(nobody.status({ ...authorizeRequest, authorizationId: 'pi_stripemock' }));
    expect(err).toBeInstanceOf(ConnectorUnavailableError);
    expect(err.message).toBe('stripe: connection failed (ECONNREFUSED)');

    const other = await startStripeMock();
    const stopping = createStripeConnector({ secretKey: SECRET, apiUrl: other.url, timeoutMs: 5_000 });
    try {
      // A first call, so a kept-alive socket to the old server may be in the pool.
      await expect(stopping.status({ ...authorizeRequest, authorizationId: 'pi_stripemock' })).resolves.toMatchObject({
        state: 'absent',
        authorizationId: expect.stringMatching(/^pi_/),
      });
    } finally {
      await other.stop();
    }
    expect(await failure(stopping.status({ ...authorizeRequest, authorizationId: 'pi_stripemock' }))).toBeInstanceOf(
      ConnectorUnavailableError,
    );
  });
});

describe('test setup', () => {
  it("provides a stripe-mock of its own for the other tests' Stripe connectors", async () => {
    const shared = createStripeConnector({ secretKey: SECRET, apiUrl: inject('stripeApiUrl'), timeoutMs: 5_000 });
    await expect(shared.status({ ...authorizeRequest, authorizationId: 'pi_shared' })).resolves.toMatchObject({
      state: 'absent',
      authorizationId: expect.stringMatching(/^pi_/),
    });
  });
});

describe('npm start', () => {
  const noStripeUrl = { STRIPE_API_URL: undefined };
  it('starts stripe-mock only while some merchant has a Stripe connector account, and not when STRIPE_API_URL names a Stripe', async () => {
    const database = await connectDatabase(inject('databaseUrl'), 1);
    const started: StripeMock[] = [];
    try {
      // In a transaction rolled back at the end: other test files' accounts are hidden, not changed.
      await database.db
        .transaction(async (tx) => {
          await tx.update(connectorAccounts).set({ removedAt: new Date() }).where(eq(connectorAccounts.kind, 'stripe'));
          expect(await startStripeMockForMerchants(tx, noStripeUrl)).toBeUndefined();

          await tx.insert(merchants).values({ id: 'mer_stripemock', name: 'Stripe mock merchant' });
          const account = { id: 'ca_stripemock', merchantId: 'mer_stripemock', label: 'Stripe', position: 1 };
          await tx.insert(connectorAccounts).values([
            { ...account, id: 'ca_simulator', kind: 'simulator' },
            { ...account, id: 'ca_removed', kind: 'stripe', removedAt: new Date() },
          ]);
          expect(await startStripeMockForMerchants(tx, noStripeUrl)).toBeUndefined();

          await tx.insert(connectorAccounts).values({ ...account, kind: 'stripe', position: 3 });
          expect(await startStripeMockForMerchants(tx, { STRIPE_API_URL: 'http://127.0.0.1:1' })).toBeUndefined();
          const mockForStart = await startStripeMockForMerchants(tx, noStripeUrl);
          if (mockForStart) started.push(mockForStart);
          expect(mockForStart?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
          const answer = await fetch(`${mockForStart!.url}/v1/payment_intents/pi_start`, {
            headers: { authorization: `Bearer ${SECRET}` },
          });
          expect(answer.status).toBe(200);
          tx.rollback();
        })
        .catch((err: unknown) => {
          if (!(err instanceof TransactionRollbackError)) throw err;
        });
    } finally {
      for (const mockForStart of started) await mockForStart.stop();
      await database.close();
    }
  });
});

function sdkAddress(url: string) {
  const { hostname, port } = new URL(url);
  return { host: hostname, port, protocol: 'http' as const };
}
