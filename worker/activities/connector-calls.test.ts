import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { CONNECTOR_UNAVAILABLE_ERROR, type RouteStep } from '../../common/connector-route.js';
import type { Database } from '../../db/client.js';
import { ConnectorBreakers } from '../connectors/breaker.js';
import { ConnectorUnavailableError, type Connector } from '../connectors/connector.js';
import { createConnectorActivities } from './connector-calls.js';

/**
 * How connector-calls.ts maps "unavailable" for calls that are not a route's first authorize try
 * (found by the hostile review of issue 20; each test names what went wrong before).
 */

const quiet = { logger: new DefaultLogger('ERROR') };
const unused = () => {
  throw new Error('this test must not reach it');
};

/** The first connector of a two-connector route, as charge.ts hands it to capture and void. */
const firstOfTwo: RouteStep = { accountId: 'ca_stripe', kind: 'stripe', routeAttempt: 1, failover: true };

function activitiesWith(connector: Partial<Connector>) {
  const full: Connector = {
    kind: 'stripe',
    authorize: unused,
    capture: unused,
    void: unused,
    refund: unused,
    status: unused,
    ...connector,
  };
  return createConnectorActivities({
    db: { execute: async () => undefined } as unknown as Database,
    connectors: { get: async () => full },
    breakers: new ConnectorBreakers({ resetTimeoutMs: 60_000 }),
  });
}

const refused = () => {
  throw new ConnectorUnavailableError('stripe: connection failed (ECONNREFUSED)');
};

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('connector calls after the route chose a connector', () => {
  it('regression (hostile review): a capture at the first of two connectors that is briefly unreachable (429, ECONNREFUSED) is failed for good (nonRetryable from route.failover), so charge.ts voids and fails a payment that a retry would have captured', async () => {
    const { capturePayment } = activitiesWith({ capture: refused });
    const failure = await failureOf(
      new MockActivityEnvironment({}, quiet).run(capturePayment, { paymentId: 'pay_1', authorizationId: 'pi_1', route: firstOfTwo }),
    );
    // The money is at this connector: capture must be retried here, never "failed over".
    expect(failure.nonRetryable).toBe(false);
  });

  it('regression (hostile review): a void at the first of two connectors that is briefly unreachable fails for good; the workflow does not catch a void failure, so the payment workflow fails, stranded in processing with the authorization still held', async () => {
    const { voidAuthorization } = activitiesWith({ void: refused });
    const failure = await failureOf(
      new MockActivityEnvironment({}, quiet).run(voidAuthorization, { paymentId: 'pay_1', authorizationId: 'pi_1', route: firstOfTwo }),
    );
    expect(failure.nonRetryable).toBe(false);
  });

  it('regression (hostile review): settling an abandoned attempt at a connector that is down (timeouts, then ECONNREFUSED on the status lookup) fails for good; route.ts rethrows it, so the payment workflow fails while the connector may hold the money', async () => {
    const { settleAbandonedAttempt } = activitiesWith({ status: refused });
    const failure = await failureOf(
      new MockActivityEnvironment({}, quiet).run(settleAbandonedAttempt, {
        paymentId: 'pay_1',
        amount: 1000,
        currency: 'USD',
        route: firstOfTwo,
      }),
    );
    // The proxy retries settle without limit on purpose; a nonRetryable failure defeats that.
    expect(failure.nonRetryable).toBe(false);
  });

  it('regression (hostile review): an authorize retry (activity attempt 2, after attempt 1 timed out with an unknown outcome) that finds the connector unavailable is reported as ConnectorUnavailable, so route.ts fails over WITHOUT settling: attempt 1 may have authorized, and two connectors hold the money', async () => {
    const { authorizePayment } = activitiesWith({ authorize: refused });
    const failure = await failureOf(
      new MockActivityEnvironment({ attempt: 2 }, quiet).run(authorizePayment, {
        paymentId: 'pay_1',
        amount: 1000,
        currency: 'USD',
        route: firstOfTwo,
      }),
    );
    // "Never sent" holds for this attempt only; an earlier attempt of the same key may have reached it.
    expect(failure.type).not.toBe(CONNECTOR_UNAVAILABLE_ERROR);
  });

  it('regression (hostile review): the same through an open circuit: attempt 1 times out (counted by the breaker), the circuit opens, attempt 2 is skipped unsent and the route moves on without settling attempt 1', async () => {
    const breakers = new ConnectorBreakers({ resetTimeoutMs: 60_000 });
    const full: Connector = {
      kind: 'stripe',
      authorize: async () => {
        throw new Error('stripe: connection error (ETIMEDOUT)');
      },
      capture: unused,
      void: unused,
      refund: unused,
      status: unused,
    };
    const { authorizePayment } = createConnectorActivities({
      db: { execute: async () => undefined } as unknown as Database,
      connectors: { get: async () => full },
      breakers,
    });
    const request = { paymentId: 'pay_1', amount: 1000, currency: 'USD', route: firstOfTwo };
    // Three unknown outcomes (this payment's and others') open the circuit.
    for (let i = 0; i < 3; i++)
      await expect(new MockActivityEnvironment({ attempt: 1 }, quiet).run(authorizePayment, request)).rejects.toThrow('ETIMEDOUT');
    expect(breakers.isOpen(firstOfTwo)).toBe(true);
    const failure = await failureOf(new MockActivityEnvironment({ attempt: 2 }, quiet).run(authorizePayment, request));
    expect(failure.type).not.toBe(CONNECTOR_UNAVAILABLE_ERROR);
    breakers.shutdown();
  });
});

describe('the built-in simulator every account-less merchant shares', () => {
  it("regression (hostile review): one merchant's payment with data.simulate 'error' (its first two calls fail) opens the 'built-in' circuit, and every other merchant's payment to the built-in simulator is skipped unsent", async () => {
    const builtIn: RouteStep = { accountId: null, kind: 'simulator', routeAttempt: 1, failover: false };
    const calls = new Map<string, number>();
    // The simulator's `error` scenario, as simulator.ts has it: the first two calls fail, the third answers.
    const simulator: Connector = {
      kind: 'simulator',
      authorize: async ({ paymentId, scenario }) => {
        const n = (calls.get(paymentId) ?? 0) + 1;
        calls.set(paymentId, n);
        if (scenario === 'error' && n <= 2) throw new Error('gateway temporarily unavailable (simulated)');
        return { authorizationId: `auth_${paymentId}` };
      },
      capture: unused,
      void: unused,
      refund: unused,
      status: unused,
    };
    const breakers = new ConnectorBreakers({ resetTimeoutMs: 60_000 });
    const { authorizePayment } = createConnectorActivities({
      db: { execute: async () => undefined } as unknown as Database,
      connectors: { get: async () => simulator },
      breakers,
    });
    // Two payments of hers, each failing its first two calls: Temporal retries them, the simulator fails them.
    for (const paymentId of ['pay_mallory1', 'pay_mallory2']) {
      const mallory = { paymentId, amount: 100, currency: 'USD', scenario: 'error', route: builtIn };
      for (const attempt of [1, 2])
        await new MockActivityEnvironment({ attempt }, quiet).run(authorizePayment, mallory).catch((err: unknown) => err);
    }
    // Another merchant's ordinary payment, which the simulator would authorize.
    const alice = { paymentId: 'pay_alice', amount: 100, currency: 'USD', route: builtIn };
    for (const attempt of [1, 2, 3])
      await expect(new MockActivityEnvironment({ attempt }, quiet).run(authorizePayment, alice)).resolves.toEqual({
        authorizationId: 'auth_pay_alice',
      });
    breakers.shutdown();
  });
});
