import { WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseToolConfig } from '../../common/config.js';
import {
  REFUND_REFUSED_ERROR,
  refundUpdate,
  refundUpdateId,
  refundsWorkflowId,
  type RefundFacts,
  type RefundRequest,
  type RefundablePayment,
} from '../../common/refund-api.js';
import { initialSnapshot } from '../../common/workflow-api.js';
import type { PaymentStatus } from '../../common/vocabulary.js';
import { refundsWorkflow } from '../../worker/workflows/index.js';
import { paymentInput, startWorkflowTestbed, type WorkflowTestbed } from './environment.js';
import { declined, fakeActivities } from './fake-activities.js';

let testbed: WorkflowTestbed;

beforeAll(async () => {
  testbed = await startWorkflowTestbed();
});
afterAll(async () => {
  await testbed?.teardown();
});

/** A payment as the read model has it once its own workflow is done: version 4, completed. */
async function settledPayment(options: { amount?: number; status?: PaymentStatus; amountRefunded?: number } = {}) {
  const input = await paymentInput(testbed.env, { amount: options.amount ?? 1234 });
  const payment: RefundablePayment = {
    snapshot: { ...initialSnapshot(input, 'run-1'), status: options.status ?? 'completed', version: 4 },
    capturedAmount: options.amount ?? 1234,
    amountRefunded: options.amountRefunded ?? 0,
  };
  return payment;
}

/** As the API sends it: Update-With-Start on the payment's refunds workflow, the update id from the refund id. */
function refund(payment: RefundablePayment, request: Partial<RefundRequest> & { refundId: string }, facts?: RefundFacts) {
  const { paymentId, merchantId } = payment.snapshot;
  return testbed.env.client.workflow.executeUpdateWithStart(refundUpdate, {
    args: [{ reason: null, ...request }],
    updateId: refundUpdateId(request.refundId),
    startWorkflowOperation: new WithStartWorkflowOperation(refundsWorkflow, {
      workflowId: refundsWorkflowId(paymentId),
      taskQueue: testbed.taskQueue,
      args: [{ paymentId, merchantId, ...(facts ? { payment: facts } : {}) }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
}

/**
 * Only until the run accepted it: the outcome is then read from the run's result, so the server's clock
 * skips the gateway's retry backoff (it does not while a client waits on an update).
 */
async function accept(payment: RefundablePayment, request: Partial<RefundRequest> & { refundId: string }, facts?: RefundFacts) {
  const { paymentId, merchantId } = payment.snapshot;
  await testbed.env.client.workflow.startUpdateWithStart(refundUpdate, {
    args: [{ reason: null, ...request }],
    updateId: refundUpdateId(request.refundId),
    waitForStage: 'ACCEPTED',
    startWorkflowOperation: new WithStartWorkflowOperation(refundsWorkflow, {
      workflowId: refundsWorkflowId(paymentId),
      taskQueue: testbed.taskQueue,
      args: [{ paymentId, merchantId, ...(facts ? { payment: facts } : {}) }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
}

/** Ends the run (the server's clock skips the idle time) and returns its result. */
const finish = (payment: RefundablePayment) =>
  testbed.env.client.workflow.getHandle<typeof refundsWorkflow>(refundsWorkflowId(payment.snapshot.paymentId)).result();

async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => {
      throw new Error('the refund was accepted');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe(REFUND_REFUSED_ERROR);
  return cause as ApplicationFailure;
}

let counter = 0;
const refundId = () => `re_wf${process.pid}x${++counter}`;

describe('refunds workflow', () => {
  it('a full refund (no amount): created then succeeded, continuing the payment versions; the payment is refunded', async () => {
    const payment = await settledPayment();
    const fake = fakeActivities({ refundable: () => payment });
    await testbed.using(fake.activities, async () => {
      const id = refundId();
      const answer = await refund(payment, { refundId: id, reason: 'customer asked' });
      expect(answer).toMatchObject({
        refundId: id,
        amount: 1234,
        currency: 'EUR',
        reason: 'customer asked',
        status: 'succeeded',
        failureReason: null,
      });
      const again = await refusal(refund(payment, { refundId: refundId(), amount: 1 }));
      expect(again.message).toBe('payment is refunded; only a completed or partially refunded payment can be refunded');
      expect(await finish(payment)).toEqual({ refunds: [{ refundId: id, amount: 1234, status: 'succeeded' }], amountRefunded: 1234 });
    });
    expect(
      fake.refundSteps().map((s) => [s.event.type, s.snapshot.version, s.snapshot.status, s.snapshot.amountRefunded, s.refund.status]),
    ).toEqual([
      ['refund.created', 5, 'completed', 0, 'pending'],
      ['refund.succeeded', 6, 'refunded', 1234, 'succeeded'],
    ]);
    expect(fake.callsTo('refundPayment').map((c) => c.args[0])).toEqual([
      { paymentId: payment.snapshot.paymentId, refundId: expect.any(String), amount: 1234, currency: 'EUR', scenario: undefined },
    ]);
  });

  it('several partial refunds until the captured amount is used up; then nothing is left', async () => {
    const payment = await settledPayment({ amount: 1000 });
    const fake = fakeActivities({ refundable: () => payment });
    await testbed.using(fake.activities, async () => {
      expect(await refund(payment, { refundId: refundId(), amount: 300 })).toMatchObject({ status: 'succeeded', amount: 300 });
      expect(await refund(payment, { refundId: refundId(), amount: 450 })).toMatchObject({ status: 'succeeded', amount: 450 });
      const over = await refusal(refund(payment, { refundId: refundId(), amount: 251 }));
      expect(over.message).toBe('amount: 251 is more than the 250 EUR left to refund (captured 1000, refunded 750, being refunded 0)');
      // No amount: everything left.
      expect(await refund(payment, { refundId: refundId() })).toMatchObject({ status: 'succeeded', amount: 250 });
      expect((await finish(payment)).amountRefunded).toBe(1000);
    });
    const succeeded = fake.refundSteps().filter((s) => s.event.type === 'refund.succeeded');
    expect(succeeded.map((s) => [s.snapshot.status, s.snapshot.amountRefunded])).toEqual([
      ['partially_refunded', 300],
      ['partially_refunded', 750],
      ['refunded', 1000],
    ]);
    expect(fake.refundSteps().map((s) => s.snapshot.version)).toEqual([5, 6, 7, 8, 9, 10]);
    // The refused request reached neither the gateway nor the read model.
    expect(fake.callsTo('refundPayment')).toHaveLength(3);
  });

  it('two concurrent refunds that together exceed the captured amount: one succeeds, the other is refused', async () => {
    const payment = await settledPayment({ amount: 1234 });
    const fake = fakeActivities({ refundable: () => payment });
    const outcomes = await testbed.using(fake.activities, () =>
      Promise.allSettled([
        refund(payment, { refundId: refundId(), amount: 1000 }),
        refund(payment, { refundId: refundId(), amount: 1000 }),
      ]),
    );
    const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
    const rejected = outcomes.filter((o) => o.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    const cause = await refusal(Promise.reject((rejected[0] as PromiseRejectedResult).reason));
    expect(cause.message).toMatch(/^amount: 1000 is more than the 234 EUR left to refund/);
    expect(fake.callsTo('refundPayment')).toHaveLength(1);
    expect((await finish(payment)).amountRefunded).toBe(1000);
  });

  it('the same refund id twice is one refund (a retried request)', async () => {
    const payment = await settledPayment();
    const fake = fakeActivities({ refundable: () => payment });
    await testbed.using(fake.activities, async () => {
      const id = refundId();
      const [a, b] = await Promise.all([refund(payment, { refundId: id, amount: 100 }), refund(payment, { refundId: id, amount: 100 })]);
      expect(a).toEqual(b);
      expect(await refund(payment, { refundId: id, amount: 100 })).toEqual(a);
      expect((await finish(payment)).refunds).toHaveLength(1);
    });
    expect(fake.callsTo('refundPayment')).toHaveLength(1);
  });

  it('transient gateway errors are retried, then the refund succeeds', async () => {
    const payment = await settledPayment();
    const fake = fakeActivities({
      refundable: () => payment,
      refund: (attempt) => {
        if (attempt <= 2) throw new Error('gateway temporarily unavailable');
      },
    });
    await testbed.using(fake.activities, async () => {
      await accept(payment, { refundId: refundId(), amount: 500 });
      expect(await finish(payment)).toMatchObject({ refunds: [{ amount: 500, status: 'succeeded' }], amountRefunded: 500 });
    });
    expect(fake.callsTo('refundPayment')).toHaveLength(3);
    expect(fake.refundSteps().at(-1)!.snapshot.status).toBe('partially_refunded');
  });

  it('transient errors are retried past the old limit of 4 attempts; the refund stays pending, then succeeds once', async () => {
    const payment = await settledPayment();
    let calls = 0;
    const fake = fakeActivities({
      refundable: () => payment,
      refund: () => {
        // The outcome of each of these is unknown to the workflow: failing the refund could pay it twice.
        if (++calls <= 8) throw new Error('gateway temporarily unavailable');
      },
    });
    await testbed.using(fake.activities, async () => {
      await accept(payment, { refundId: refundId(), amount: 500 });
      expect(await finish(payment)).toMatchObject({ refunds: [{ status: 'succeeded' }], amountRefunded: 500 });
    });
    expect(fake.callsTo('refundPayment')).toHaveLength(9);
    expect(fake.refundSteps().map((s) => s.event.type)).toEqual(['refund.created', 'refund.succeeded']);
    expect(fake.refundSteps().at(-1)).toMatchObject({ snapshot: { status: 'partially_refunded', amountRefunded: 500 } });
  });

  it('a refusal by the gateway fails the refund at once; the amount is refundable again', async () => {
    const payment = await settledPayment({ amount: 800 });
    let refuse = true;
    const fake = fakeActivities({
      refundable: () => payment,
      refund: () => {
        if (refuse) throw declined('refund refused by acquirer');
      },
    });
    await testbed.using(fake.activities, async () => {
      const failed = await refund(payment, { refundId: refundId(), amount: 800 });
      expect(failed).toMatchObject({ status: 'failed', failureReason: 'refund refused by acquirer' });
      refuse = false;
      expect(await refund(payment, { refundId: refundId(), amount: 800 })).toMatchObject({ status: 'succeeded' });
      expect((await finish(payment)).amountRefunded).toBe(800);
    });
    expect(fake.callsTo('refundPayment')).toHaveLength(2);
    expect(fake.refundSteps().map((s) => s.event.type)).toEqual(['refund.created', 'refund.failed', 'refund.created', 'refund.succeeded']);
  });

  it('waits for the payment to settle before its first refund', async () => {
    const payment = await settledPayment();
    const fake = fakeActivities({
      refundable: (attempt) => {
        if (attempt <= 2) throw ApplicationFailure.retryable('payment is still delivering its webhooks', 'PaymentSettling');
        return payment;
      },
    });
    await testbed.using(fake.activities, async () => {
      await accept(payment, { refundId: refundId(), amount: 10 });
      expect(await finish(payment)).toMatchObject({ refunds: [{ status: 'succeeded' }] });
    });
    expect(fake.callsTo('loadRefundablePayment')).toHaveLength(3);
    // Listed at once (accepted on the API's read), but its first step waits for the loaded payment.
    const firstRefundCall = fake.calls.findIndex((c) => c.name === 'projectRefund');
    expect(
      fake.calls
        .slice(0, firstRefundCall)
        .filter((c) => c.name !== 'recordAcceptedRefund')
        .map((c) => c.name),
    ).toEqual(['loadRefundablePayment', 'loadRefundablePayment', 'loadRefundablePayment']);
    expect(fake.callsTo('recordAcceptedRefund')).toHaveLength(1);
  });

  it("while the payment still settles, a refund is judged on the API's read: accepted at once, refused at once, processed once loaded", async () => {
    const payment = await settledPayment({ amount: 1000 });
    const facts: RefundFacts = { status: 'completed', currency: 'EUR', capturedAmount: 1000, amountRefunded: 0 };
    let settling = true;
    const fake = fakeActivities({
      refundable: () => {
        if (settling) throw ApplicationFailure.retryable('payment is still delivering its webhooks', 'PaymentSettling');
        return payment;
      },
    });
    await testbed.using(fake.activities, async () => {
      const started = Date.now();
      await accept(payment, { refundId: refundId(), amount: 600 }, facts);
      // Refused by the validator on the API's read, without waiting for the load.
      const over = await refusal(refund(payment, { refundId: refundId(), amount: 401 }, facts));
      expect(over.message).toBe('amount: 401 is more than the 400 EUR left to refund (captured 1000, refunded 0, being refunded 600)');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(fake.callsTo('projectRefund')).toHaveLength(0);
      settling = false;
      expect(await finish(payment)).toMatchObject({ refunds: [{ amount: 600, status: 'succeeded' }], amountRefunded: 600 });
    });
    expect(fake.refundSteps()[0]!.snapshot.version).toBe(5);
  });

  it("a refund accepted on the API's read but beyond what the loaded payment has left fails without a gateway call", async () => {
    const payment = await settledPayment({ amount: 1000, status: 'partially_refunded', amountRefunded: 900 });
    const stale: RefundFacts = { status: 'completed', currency: 'EUR', capturedAmount: 1000, amountRefunded: 0 };
    const fake = fakeActivities({ refundable: () => payment });
    await testbed.using(fake.activities, async () => {
      await accept(payment, { refundId: refundId(), amount: 500 }, stale);
      expect(await finish(payment)).toMatchObject({ refunds: [{ amount: 500, status: 'failed' }], amountRefunded: 900 });
    });
    expect(fake.callsTo('refundPayment')).toHaveLength(0);
    expect(fake.refundSteps().at(-1)!.refund.failureReason).toBe('amount: 500 is more than the 100 EUR left to refund');
  });

  it('a payment that did not complete is refused, and so is a payment the read model does not have', async () => {
    const failed = await settledPayment({ status: 'failed' });
    await testbed.using(fakeActivities({ refundable: () => failed }).activities, async () => {
      const cause = await refusal(refund(failed, { refundId: refundId(), amount: 10 }));
      expect(cause.message).toBe('payment is failed; only a completed or partially refunded payment can be refunded');
      await finish(failed);
    });
    const missing = await settledPayment();
    const fake = fakeActivities({ refundable: () => null });
    await testbed.using(fake.activities, async () => {
      const cause = await refusal(refund(missing, { refundId: refundId(), amount: 10 }));
      expect(cause.message).toBe(`no payment ${missing.snapshot.paymentId} to refund`);
      await finish(missing);
    });
    expect(fake.callsTo('projectRefund')).toHaveLength(0);
  });

  it('refund webhook messages go out in order, one lane at a time, after the run has projected them', async () => {
    const payment = await settledPayment();
    const fake = fakeActivities({
      refundable: () => payment,
      messages: (snapshot, event) => [{ id: `${event.type}@${snapshot.version}`, lane: 'we_1' }],
    });
    await testbed.using(fake.activities, async () => {
      await refund(payment, { refundId: refundId(), amount: 100 });
      await refund(payment, { refundId: refundId(), amount: 100 });
      await finish(payment);
    });
    expect(fake.callsTo('deliverWebhookMessage').map((c) => c.args[0])).toEqual([
      'refund.created@5',
      'refund.succeeded@6',
      'refund.created@7',
      'refund.succeeded@8',
    ]);
  });

  it('its history replays with this code, and the recorded refunds fixtures replay too', async () => {
    const payment = await settledPayment({ amount: 1000 });
    // As the API starts it: with its read of the payment.
    const facts: RefundFacts = { status: 'completed', currency: 'EUR', capturedAmount: 1000, amountRefunded: 0 };
    let calls = 0;
    const fake = fakeActivities({
      refundable: () => payment,
      messages: (snapshot, event) => [{ id: `${event.type}@${snapshot.version}`, lane: 'we_1' }],
      refund: () => {
        if (++calls === 2) throw declined('refund refused by acquirer');
      },
    });
    await testbed.using(fake.activities, async () => {
      await refund(payment, { refundId: 're_fixture_1', amount: 300, reason: 'damaged' }, facts);
      await refund(payment, { refundId: 're_fixture_2', amount: 200 }, facts);
      await refusal(refund(payment, { refundId: 're_fixture_3', amount: 701 }, facts));
      await refund(payment, { refundId: 're_fixture_4' }, facts);
      expect(await finish(payment)).toMatchObject({ amountRefunded: 1000 });
    });
    const history = await testbed.env.client.workflow.getHandle(refundsWorkflowId(payment.snapshot.paymentId)).fetchHistory();
    const bundle = { workflowBundle: { codePath: inject('workflowBundlePath') } };
    await Worker.runReplayHistory(bundle, history);
    const History = temporal.api.history.v1.History;
    const recorded = path.join(FIXTURES, 'refunds-api-read-partial-declined-full.json');
    if (parseToolConfig().RECORD_HISTORIES === '1' && !existsSync(recorded)) {
      await writeFile(recorded, JSON.stringify(History.toObject(History.fromObject(history), { longs: String, bytes: String })));
    }
    // The recorded ones protect runs started by earlier versions (test/integration/workflow-history.test.ts replays them too).
    const fixtures = (await readdir(FIXTURES)).filter((f) => f.startsWith('refunds-'));
    expect(fixtures).toEqual(['refunds-api-read-partial-declined-full.json', 'refunds-partial-declined-full.json']);
    for (const f of fixtures)
      await Worker.runReplayHistory(bundle, History.fromObject(JSON.parse(await readFile(path.join(FIXTURES, f), 'utf8'))));
  });
});

const FIXTURES = fileURLToPath(new URL('../fixtures/histories', import.meta.url));
