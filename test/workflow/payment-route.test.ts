import { ApplicationFailure } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTOR_RECONCILE_ERROR, CONNECTOR_UNAVAILABLE_ERROR, type ConnectorRef, type RouteStep } from '../../common/connector-route.js';
import type { AuthorizeInput } from '../../worker/activities/connector-calls.js';
import { paymentWorkflow } from '../../worker/workflows/index.js';
import { paymentInput, startWorkflowTestbed, type WorkflowTestbed } from './environment.js';
import { declined, fakeActivities, type FakeActivityScript } from './fake-activities.js';

let testbed: WorkflowTestbed;

beforeAll(async () => {
  testbed = await startWorkflowTestbed();
});
afterAll(async () => {
  await testbed?.teardown();
});

const stripe: ConnectorRef = { accountId: 'ca_stripe', kind: 'stripe' };
const backup: ConnectorRef = { accountId: 'ca_backup', kind: 'simulator' };

/** Runs one payment; its workflow's result, or the error that ended the run (a run must never end so). */
async function runPaymentOutcome(script: FakeActivityScript, voidAuthorization?: () => Promise<void>) {
  const fake = fakeActivities(script);
  if (voidAuthorization) fake.activities.voidAuthorization = voidAuthorization;
  const input = await paymentInput(testbed.env, {});
  const outcome = await testbed
    .using(fake.activities, () =>
      testbed.env.client.workflow.execute(paymentWorkflow, { taskQueue: testbed.taskQueue, workflowId: input.paymentId, args: [input] }),
    )
    .then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
  const authorizedAt = fake.callsTo('authorizePayment').map((c) => (c.args[0] as AuthorizeInput).route?.accountId);
  return { fake, outcome, authorizedAt };
}

async function runPayment(script: FakeActivityScript) {
  const { outcome, ...rest } = await runPaymentOutcome(script);
  if ('error' in outcome) throw outcome.error;
  return { ...rest, result: outcome.result };
}

/** Fails every call to one connector the given way; the others answer. */
const failingAt =
  (accountId: string, failure: () => Error) =>
  (_attempt: number, request: AuthorizeInput): void => {
    if (request.route?.accountId === accountId) throw failure();
  };

const unavailable = () =>
  ApplicationFailure.create({ message: 'connection refused', type: CONNECTOR_UNAVAILABLE_ERROR, nonRetryable: true });

describe('the route', () => {
  it('an unavailable connector is left at once for the next; the payment completes there and the timeline says why', async () => {
    const { fake, result, authorizedAt } = await runPayment({
      route: () => [stripe, backup],
      authorize: failingAt('ca_stripe', unavailable),
    });
    expect(result.status).toBe('completed');
    expect(authorizedAt).toEqual(['ca_stripe', 'ca_backup']);
    // Nothing to settle: the request never reached the first connector.
    expect(fake.callsTo('settleAbandonedAttempt')).toHaveLength(0);
    const capture = fake.callsTo('capturePayment')[0]!.args[0] as { route: RouteStep };
    expect(capture.route).toEqual({ ...backup, routeAttempt: 2, failover: false });
    const completed = fake.projected().at(-1)!;
    expect(completed.snapshot.connector).toEqual({ ...backup, authorizationId: expect.any(String) });
    expect(completed.event.details).toMatchObject({
      connector: 'simulator',
      connectorAccountId: 'ca_backup',
      failedOver: [{ connector: 'stripe', accountId: 'ca_stripe', reason: 'connection refused' }],
    });
  });

  it('a decline is never failed over: the payment fails with the first connector’s reason', async () => {
    const { fake, result, authorizedAt } = await runPayment({
      route: () => [stripe, backup],
      authorize: failingAt('ca_stripe', () => declined('card declined')),
    });
    expect(result).toMatchObject({ status: 'failed', failureReason: 'card declined' });
    expect(authorizedAt).toEqual(['ca_stripe']);
    expect(fake.callsTo('capturePayment')).toHaveLength(0);
    // The timeline names the connector that declined, as a success's entry names the one that authorized.
    const failed = fake.projected().at(-1)!;
    expect(failed.event).toMatchObject({ type: 'payment.failed', details: { connector: 'stripe', connectorAccountId: 'ca_stripe' } });
    // Nothing is held there: the payment names no connector for capture or refunds.
    expect(failed.snapshot.connector ?? null).toBeNull();
  });

  it('an unknown outcome is settled (proven absent or voided) before the next connector is asked', async () => {
    const { fake, result, authorizedAt } = await runPayment({
      route: () => [stripe, backup],
      authorize: failingAt('ca_stripe', () => new Error('read timeout')),
      settle: () => 'voided',
    });
    expect(result.status).toBe('completed');
    // Retried with the same key before giving up (3 tries before a failover), then the next one.
    expect(authorizedAt).toEqual(['ca_stripe', 'ca_stripe', 'ca_stripe', 'ca_backup']);
    const order = fake.calls.map((c) => c.name).filter((n) => n === 'authorizePayment' || n === 'settleAbandonedAttempt');
    expect(order.indexOf('settleAbandonedAttempt')).toBe(3);
    expect((fake.callsTo('settleAbandonedAttempt')[0]!.args[0] as { route: RouteStep }).route.accountId).toBe('ca_stripe');
  });

  it('an abandoned attempt found captured stops the route for a person; nothing else is charged', async () => {
    const { result, authorizedAt, fake } = await runPayment({
      route: () => [stripe, backup],
      authorize: failingAt('ca_stripe', () => new Error('read timeout')),
      settle: () => {
        throw ApplicationFailure.nonRetryable('found captured; reconcile it', CONNECTOR_RECONCILE_ERROR);
      },
    });
    expect(result).toMatchObject({ status: 'failed', failureReason: 'found captured; reconcile it' });
    expect(authorizedAt).not.toContain('ca_backup');
    expect(fake.callsTo('capturePayment')).toHaveLength(0);
  });

  it('the last connector is not left after one refusal to connect: it is retried, then the payment fails', async () => {
    let calls = 0;
    const { result } = await runPayment({
      route: () => [stripe],
      authorize: () => {
        calls++;
        throw ApplicationFailure.create({ message: 'connection refused', type: CONNECTOR_UNAVAILABLE_ERROR });
      },
    });
    expect(result).toMatchObject({ status: 'failed', failureReason: 'connection refused' });
    expect(calls).toBe(5);
  });

  it('no connector accepting the payment fails it at once, naming the rules', async () => {
    const { result, fake } = await runPayment({ route: () => [] });
    expect(result).toMatchObject({ status: 'failed' });
    expect(result.failureReason).toMatch(/no connector .* accepts this payment/);
    expect(fake.callsTo('authorizePayment')).toHaveLength(0);
  });
});

describe('the route, as the hostile review of issue 20 attacked it', () => {
  it('regression (hostile review): the last (or only) connector whose authorize outcome stays unknown after its retries (timeouts) fails the payment without settling or voiding the attempt: Stripe may hold the customer’s money for a payment reported failed', async () => {
    const { fake, outcome } = await runPaymentOutcome({
      route: () => [stripe],
      authorize: () => {
        throw new Error('stripe: connection error (ETIMEDOUT)');
      },
    });
    expect(outcome).toMatchObject({ result: { status: 'failed' } });
    // What route.ts does for every other connector: prove the attempt absent, or void what it left.
    expect(fake.callsTo('settleAbandonedAttempt').length + fake.callsTo('voidAuthorization').length).toBeGreaterThan(0);
  });

  it('regression (hostile review): settling an abandoned attempt that fails with anything but "reconcile" (e.g. the status lookup refused, nonRetryable from route.failover) is rethrown by route.ts and fails the payment workflow itself: the payment stays processing for ever', async () => {
    const { outcome } = await runPaymentOutcome({
      route: () => [stripe, backup],
      authorize: (_attempt: number, request: AuthorizeInput) => {
        if (request.route?.accountId === 'ca_stripe') throw new Error('read timeout');
      },
      settle: () => {
        throw ApplicationFailure.create({
          message: 'stripe: connection failed (ECONNREFUSED)',
          type: CONNECTOR_UNAVAILABLE_ERROR,
          nonRetryable: true,
        });
      },
    });
    // A payment workflow must end in a terminal payment state, never as a failed workflow run.
    expect(outcome).toHaveProperty('result');
  });

  it('regression (hostile review): a void that fails for good (e.g. Stripe answers 404 "no such payment_intent" after the account\'s credentials were changed to another Stripe account: a ConnectorDeclined) is not caught by charge.ts, so the payment workflow run fails and the payment never reaches a final state', async () => {
    const { outcome } = await runPaymentOutcome(
      {
        route: () => [stripe],
        capture: () => {
          throw ApplicationFailure.nonRetryable("stripe: resource_missing: No such payment_intent: 'pi_1'", 'GatewayDeclined');
        },
      },
      async () => {
        throw ApplicationFailure.nonRetryable("stripe: resource_missing: No such payment_intent: 'pi_1'", 'GatewayDeclined');
      },
    );
    expect(outcome).toHaveProperty('result');
  });
});
