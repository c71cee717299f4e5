import { ApplicationFailure } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTOR_UNAVAILABLE_ERROR, type ConnectorRef } from '../../common/connector-route.js';
import type { AuthorizeInput } from '../../worker/activities/connector-calls.js';
import { paymentWorkflow } from '../../worker/workflows/index.js';
import { paymentInput, startWorkflowTestbed, type WorkflowTestbed } from './environment.js';
import { fakeActivities, type FakeActivityScript } from './fake-activities.js';

/** Review of issue 20: the route's handling of unknown outcomes (route.ts). Each test names the bug it shows. */

let testbed: WorkflowTestbed;
beforeAll(async () => {
  testbed = await startWorkflowTestbed();
});
afterAll(async () => {
  await testbed?.teardown();
});

const stripe: ConnectorRef = { accountId: 'ca_stripe', kind: 'stripe' };
const backup: ConnectorRef = { accountId: 'ca_backup', kind: 'simulator' };

async function runPayment(script: FakeActivityScript, voidAuthorization?: () => Promise<void>) {
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
  return { fake, outcome };
}

describe('review: the route', () => {
  it('regression (hostile review): the last (or only) connector whose authorize outcome stays unknown after its retries (timeouts) fails the payment without settling or voiding the attempt: Stripe may hold the customer’s money for a payment reported failed', async () => {
    const { fake, outcome } = await runPayment({
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
    const { outcome } = await runPayment({
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
    const { outcome } = await runPayment(
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
