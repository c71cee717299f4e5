import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DELAY_SECONDS } from '../../common/payment-rules.js';
import { NOT_PENDING_ERROR, OWN_WEBHOOK_LANE, cancelUpdate, processNowUpdate } from '../../common/workflow-api.js';
import { paymentWorkflow } from '../../worker/workflows/index.js';
import { paymentInput, startWorkflowTestbed, waitUntil, type WorkflowTestbed } from './environment.js';
import { fakeActivities, BUILT_IN_ROUTE } from './fake-activities.js';

const DAY_MS = 24 * 3_600_000;
let testbed: WorkflowTestbed;
const env = () => testbed.env;

beforeAll(async () => {
  testbed = await startWorkflowTestbed();
});
afterAll(async () => {
  await testbed?.teardown();
});

/** Event types of the history, to check which timers the workflow made. */
async function timerEvents(workflowId: string): Promise<string[]> {
  const history = await env().client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.timerStartedEventAttributes || e.timerFiredEventAttributes || e.timerCanceledEventAttributes)
    .map((e) => (e.timerStartedEventAttributes ? 'started' : e.timerFiredEventAttributes ? 'fired' : 'canceled'));
}

describe('the delay', () => {
  it('holds a 30-day payment for 30 days of server time, then charges it once, in seconds of wall time', async () => {
    const fake = fakeActivities();
    const input = await paymentInput(env(), { delaySeconds: MAX_DELAY_SECONDS });
    const wallStart = Date.now();
    const result = await testbed.using(fake.activities, () =>
      env().client.workflow.execute(paymentWorkflow, { taskQueue: testbed.taskQueue, workflowId: input.paymentId, args: [input] }),
    );
    const wallMs = Date.now() - wallStart;

    expect(result).toEqual({ status: 'completed', failureReason: null, compensated: false, webhookStatus: null });
    expect(fake.projectedEvents()).toEqual(['payment.created', 'payment.processing', 'payment.completed']);
    const processing = fake.projected().find((p) => p.event.type === 'payment.processing')!;
    // Processing began when the delay was over, not before.
    expect(processing.snapshot.updatedAt).toBeGreaterThanOrEqual(input.createdAt + 30 * DAY_MS);
    expect(await env().currentTimeMs()).toBeGreaterThanOrEqual(input.createdAt + 30 * DAY_MS);
    expect(fake.callsTo('authorizePayment')).toHaveLength(1);
    expect(fake.callsTo('capturePayment')).toEqual([
      { name: 'capturePayment', args: [{ paymentId: input.paymentId, authorizationId: `auth_${input.paymentId}`, route: BUILT_IN_ROUTE }] },
    ]);
    expect(fake.callsTo('voidAuthorization')).toHaveLength(0);
    expect(await timerEvents(input.paymentId)).toEqual(['started', 'fired']);
    expect(wallMs).toBeLessThan(10_000);
  });

  it('creates no timer for a zero delay', async () => {
    const fake = fakeActivities();
    const input = await paymentInput(env(), { delaySeconds: 0 });
    const result = await testbed.using(fake.activities, () =>
      env().client.workflow.execute(paymentWorkflow, { taskQueue: testbed.taskQueue, workflowId: input.paymentId, args: [input] }),
    );
    expect(result.status).toBe('completed');
    expect(await timerEvents(input.paymentId)).toEqual([]);
  });

  it('refuses input that bypassed the API without calling the gateway', async () => {
    const fake = fakeActivities();
    const input = await paymentInput(env(), { amount: 0 });
    const result = await testbed.using(fake.activities, () =>
      env().client.workflow.execute(paymentWorkflow, { taskQueue: testbed.taskQueue, workflowId: input.paymentId, args: [input] }),
    );
    expect(result.status).toBe('failed');
    expect(result.failureReason).toMatch(/^amount must be an integer/);
    expect(fake.projectedEvents()).toEqual(['payment.created', 'payment.failed']);
    expect(fake.callsTo('authorizePayment')).toHaveLength(0);
  });
});

describe('updates during the delay', () => {
  /** Starts a 30-day payment and waits until its first projection ran (its timer is then started). */
  async function startPending(fake: ReturnType<typeof fakeActivities>) {
    const input = await paymentInput(env(), { delaySeconds: MAX_DELAY_SECONDS, webhookUrl: 'https://receiver.example/hook' });
    const handle = await env().client.workflow.start(paymentWorkflow, {
      taskQueue: testbed.taskQueue,
      workflowId: input.paymentId,
      args: [input],
    });
    await waitUntil(() => fake.projectedEvents().includes('payment.created'), 'the first projection');
    return { input, handle };
  }

  it('cancel ends the payment as canceled without touching the gateway', async () => {
    const fake = fakeActivities();
    const { result, state, input } = await testbed.using(fake.activities, async () => {
      const { input, handle } = await startPending(fake);
      const state = await handle.executeUpdate(cancelUpdate, { args: [{ reason: '  customer asked  ' }] });
      return { input, state, result: await handle.result() };
    });
    expect(state.status).toBe('canceled');
    expect(result).toEqual({ status: 'canceled', failureReason: null, compensated: false, webhookStatus: 'pending' });
    const canceled = fake.projected().find((p) => p.event.type === 'payment.canceled')!;
    expect(canceled.event.details).toEqual({ reason: 'customer asked' });
    // Canceled long before the 30 days were up: the timer was canceled, never fired.
    expect(canceled.snapshot.updatedAt).toBeLessThan(input.createdAt + DAY_MS);
    expect(await timerEvents(input.paymentId)).toEqual(['started', 'canceled']);
    expect(fake.calls.filter((c) => ['authorizePayment', 'capturePayment', 'voidAuthorization'].includes(c.name))).toEqual([]);
  });

  it('processNow skips the rest of the delay and charges once, marked early', async () => {
    const fake = fakeActivities();
    const { result, state, input } = await testbed.using(fake.activities, async () => {
      const { input, handle } = await startPending(fake);
      const state = await handle.executeUpdate(processNowUpdate);
      return { input, state, result: await handle.result() };
    });
    expect(state.status).not.toBe('pending');
    expect(result.status).toBe('completed');
    const processing = fake.projected().find((p) => p.event.type === 'payment.processing')!;
    expect(processing.event.details).toEqual({ early: true });
    expect(processing.snapshot.updatedAt).toBeLessThan(input.createdAt + DAY_MS);
    expect(await timerEvents(input.paymentId)).toEqual(['started', 'canceled']);
    expect(fake.callsTo('capturePayment')).toHaveLength(1);
  });

  it('cancel and processNow racing: exactly one wins, the other is refused as not pending', async () => {
    // The final webhook (an activity, whoever wins) is held until the loser has its answer, so the
    // loser meets a running workflow, not a finished one that Temporal would refuse on its own.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const fake = fakeActivities({
      messages: (snapshot, event) =>
        event.type === `payment.${snapshot.status}` && snapshot.completedAt !== null
          ? [{ id: `msg_final_${snapshot.paymentId}`, lane: OWN_WEBHOOK_LANE }]
          : [],
      deliver: () => held.then(() => ({ delivered: true, statusCode: 200, attempts: 1, error: null })),
    });
    const { outcomes, result } = await testbed.using(fake.activities, async () => {
      const { handle } = await startPending(fake);
      const updates = [handle.executeUpdate(cancelUpdate, { args: [{}] }), handle.executeUpdate(processNowUpdate)] as const;
      const firstRefusal = await Promise.race(
        updates.map((u) =>
          u.then(
            () => new Promise<never>(() => {}),
            (err: unknown) => err,
          ),
        ),
      );
      release();
      const outcomes = await Promise.allSettled(updates);
      return { firstRefusal, outcomes, result: await handle.result() };
    });
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const refusal = lost[0]!.reason as unknown;
    expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (refusal as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe(NOT_PENDING_ERROR);
    // The winner decided the outcome, and the loser changed nothing.
    const cancelWon = outcomes[0]!.status === 'fulfilled';
    expect(result.status).toBe(cancelWon ? 'canceled' : 'completed');
    expect(fake.callsTo('capturePayment')).toHaveLength(cancelWon ? 0 : 1);
    expect(fake.projectedEvents().filter((t) => t === 'payment.canceled' || t === 'payment.completed')).toHaveLength(1);
  });

  it('refuses cancel once processing began, and the charge goes on', async () => {
    // Authorization (an activity) is held while the cancel arrives.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const fake = fakeActivities({ authorize: () => held });
    const { refusal, result } = await testbed.using(fake.activities, async () => {
      const input = await paymentInput(env(), { delaySeconds: 0 });
      const handle = await env().client.workflow.start(paymentWorkflow, {
        taskQueue: testbed.taskQueue,
        workflowId: input.paymentId,
        args: [input],
      });
      await waitUntil(() => fake.callsTo('authorizePayment').length > 0, 'the authorization');
      const refusal = await handle.executeUpdate(cancelUpdate, { args: [{}] }).then(
        () => undefined,
        (err: unknown) => err,
      );
      release();
      return { refusal, result: await handle.result() };
    });
    expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (refusal as WorkflowUpdateFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe(NOT_PENDING_ERROR);
    expect(cause.message).toBe('payment is processing; only a pending payment can be canceled');
    expect(result.status).toBe('completed');
    expect(fake.callsTo('capturePayment')).toHaveLength(1);
  });
});
