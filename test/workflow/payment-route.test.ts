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

async function runPayment(script: FakeActivityScript) {
  const fake = fakeActivities(script);
  const input = await paymentInput(testbed.env, {});
  const result = await testbed.using(fake.activities, () =>
    testbed.env.client.workflow.execute(paymentWorkflow, { taskQueue: testbed.taskQueue, workflowId: input.paymentId, args: [input] }),
  );
  const authorizedAt = fake.callsTo('authorizePayment').map((c) => (c.args[0] as AuthorizeInput).route?.accountId);
  return { fake, result, authorizedAt };
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
