import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentWorkflowInput } from '../../common/workflow-api.js';
import { paymentWorkflow } from '../../worker/workflows/index.js';
import { paymentInput, startWorkflowTestbed, type WorkflowTestbed } from './environment.js';
import { declined, fakeActivities, type FakeActivityScript, BUILT_IN_ROUTE, BUILT_IN_DETAILS } from './fake-activities.js';

let testbed: WorkflowTestbed;

beforeAll(async () => {
  testbed = await startWorkflowTestbed();
});
afterAll(async () => {
  await testbed?.teardown();
});

async function runPayment(script: FakeActivityScript, overrides: Partial<PaymentWorkflowInput> = {}) {
  const fake = fakeActivities(script);
  const input = await paymentInput(testbed.env, overrides);
  const result = await testbed.using(fake.activities, () =>
    testbed.env.client.workflow.execute(paymentWorkflow, { taskQueue: testbed.taskQueue, workflowId: input.paymentId, args: [input] }),
  );
  return { fake, input, result };
}

describe('charging', () => {
  it('authorizes the amount and currency, captures that authorization once, completes', async () => {
    const { fake, input, result } = await runPayment({}, { amount: 1999, currency: 'JPY', data: { simulate: 'none-here' } });
    expect(result).toEqual({ status: 'completed', failureReason: null, compensated: false, webhookStatus: null });
    expect(fake.callsTo('authorizePayment').map((c) => c.args[0])).toEqual([
      { paymentId: input.paymentId, amount: 1999, currency: 'JPY', scenario: 'none-here', route: BUILT_IN_ROUTE },
    ]);
    expect(fake.callsTo('capturePayment').map((c) => c.args[0])).toEqual([
      { paymentId: input.paymentId, authorizationId: `auth_${input.paymentId}`, scenario: 'none-here', route: BUILT_IN_ROUTE },
    ]);
    const completed = fake.projected().at(-1)!;
    expect(completed.event).toEqual({
      type: 'payment.completed',
      details: { authorizationId: `auth_${input.paymentId}`, ...BUILT_IN_DETAILS },
    });
    // Versions rise by one per state change: the projection's ordering rests on it.
    expect(fake.projected().map((p) => p.snapshot.version)).toEqual([1, 2, 3]);
  });

  it('a decline fails the payment with the gateway reason; nothing is captured or voided', async () => {
    const { fake, result } = await runPayment({
      authorize: () => {
        throw declined('card declined by issuer');
      },
    });
    expect(result).toEqual({ status: 'failed', failureReason: 'card declined by issuer', compensated: false, webhookStatus: null });
    expect(fake.callsTo('authorizePayment')).toHaveLength(1);
    expect(fake.callsTo('capturePayment')).toHaveLength(0);
    expect(fake.callsTo('voidAuthorization')).toHaveLength(0);
    expect(fake.projected().at(-1)!.event).toEqual({
      type: 'payment.failed',
      // The connector whose answer ended the route: here the built-in simulator (no account).
      details: { reason: 'card declined by issuer', step: 'authorize', connector: 'simulator', connectorAccountId: null },
    });
  });

  it('transient gateway errors are retried by Temporal (backoff skipped by the server clock), then the payment completes', async () => {
    const { fake, result } = await runPayment({
      authorize: (attempt) => {
        if (attempt <= 2) throw new Error('gateway temporarily unavailable');
      },
    });
    expect(result.status).toBe('completed');
    expect(fake.callsTo('authorizePayment')).toHaveLength(3);
    expect(fake.callsTo('capturePayment')).toHaveLength(1);
  });

  it('a capture whose answers keep getting lost is retried past any attempt limit, never voided, then completes', async () => {
    // Outcome unknown (the gateway may have taken the money): voiding and failing would misreport a charged card.
    const { fake, result } = await runPayment({
      capture: (attempt) => {
        if (attempt <= 8) throw new Error('socket hang up');
      },
    });
    expect(result.status).toBe('completed');
    expect(fake.callsTo('capturePayment')).toHaveLength(9);
    expect(fake.callsTo('voidAuthorization')).toHaveLength(0);
  });

  it('a capture failing for good voids the authorization once, then fails the payment as compensated', async () => {
    const { fake, input, result } = await runPayment({
      capture: () => {
        throw declined('capture refused by acquirer');
      },
    });
    expect(result).toEqual({ status: 'failed', failureReason: 'capture refused by acquirer', compensated: true, webhookStatus: null });
    expect(fake.callsTo('capturePayment')).toHaveLength(1);
    expect(fake.callsTo('voidAuthorization').map((c) => c.args[0])).toEqual([
      { paymentId: input.paymentId, authorizationId: `auth_${input.paymentId}`, route: BUILT_IN_ROUTE },
    ]);
    // The void comes after the failed capture and before the failure is recorded.
    const order = fake.calls.map((c) => (c.name === 'projectPayment' ? (c.args[1] as { type: string }).type : c.name));
    expect(order).toEqual([
      'payment.created',
      'payment.processing',
      'planRoute',
      'authorizePayment',
      'capturePayment',
      'voidAuthorization',
      'payment.failed',
    ]);
    const failed = fake.projected().at(-1)!;
    expect(failed.event.details).toEqual({
      reason: 'capture refused by acquirer',
      step: 'capture',
      compensated: true,
      ...BUILT_IN_DETAILS,
    });
    expect(failed.snapshot.compensated).toBe(true);
  });
});

describe('a projection the database refuses', () => {
  it('ends the payment failed with the reason, recorded without the caller fields', async () => {
    const reason = 'the read model refused the payment (22P05: unsupported Unicode escape sequence)';
    const { fake, result } = await runPayment({
      refuse: (_snapshot, event) => (event.type === 'payment.processing' ? reason : undefined),
    });
    expect(result).toEqual({ status: 'failed', failureReason: reason, compensated: false, webhookStatus: null });
    expect(fake.projectedEvents()).toEqual(['payment.created', 'payment.processing']);
    const [refused] = fake.callsTo('recordRefusedPayment');
    expect(refused?.args[1]).toBe(reason);
    expect(refused?.args[0]).toMatchObject({ status: 'failed', failureReason: reason, version: 3 });
    // Refused before the gateway was asked: no money moved.
    expect(fake.callsTo('authorizePayment')).toHaveLength(0);
  });

  it('a refusal after the capture keeps the payment completed', async () => {
    const reason = 'the read model refused the payment (23514: check constraint)';
    const { fake, result } = await runPayment({
      refuse: (_snapshot, event) => (event.type === 'payment.completed' ? reason : undefined),
    });
    expect(result.status).toBe('completed');
    expect(result.failureReason).toBe(reason);
    expect(fake.callsTo('capturePayment')).toHaveLength(1);
    expect(fake.callsTo('recordRefusedPayment')[0]?.args[0]).toMatchObject({ status: 'completed' });
  });
});
