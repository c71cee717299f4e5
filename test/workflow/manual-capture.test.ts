import { WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVALID_CAPTURE_AMOUNT_ERROR, NOT_PENDING_ERROR, cancelUpdate, captureUpdate } from '../../common/workflow-api.js';
import { paymentWorkflow } from '../../worker/workflows/index.js';
import { paymentInput, startWorkflowTestbed, waitUntil, type WorkflowTestbed } from './environment.js';
import { declined, fakeActivities, BUILT_IN_ROUTE, BUILT_IN_DETAILS } from './fake-activities.js';

const DAY_MS = 24 * 3_600_000;
const WINDOW_SECONDS = 7 * 24 * 3600;
let testbed: WorkflowTestbed;
const env = () => testbed.env;

beforeAll(async () => {
  testbed = await startWorkflowTestbed();
});
afterAll(async () => {
  await testbed?.teardown();
});

type Fake = ReturnType<typeof fakeActivities>;

/** Starts a manual payment (1234 EUR, 7-day window) and waits until it awaits capture. */
async function startAwaitingCapture(fake: Fake) {
  const input = await paymentInput(env(), { captureMethod: 'manual', captureWindowSeconds: WINDOW_SECONDS });
  const handle = await env().client.workflow.start(paymentWorkflow, {
    taskQueue: testbed.taskQueue,
    workflowId: input.paymentId,
    args: [input],
  });
  await waitUntil(() => fake.projectedEvents().includes('payment.requires_capture'), 'requires_capture to be projected');
  return { input, handle };
}

/** The refusal an update met, as the API sees it. */
function refusalOf(err: unknown): ApplicationFailure {
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

const refused = (update: Promise<unknown>) =>
  update.then(
    () => {
      throw new Error('the update was accepted');
    },
    (err: unknown) => refusalOf(err),
  );

/** Activity calls and projected events in order, to check what happened before what. */
const order = (fake: Fake) => fake.calls.map((c) => (c.name === 'projectPayment' ? (c.args[1] as { type: string }).type : c.name));

describe('manual capture', () => {
  it('authorizes when due and then waits in requires_capture with the capturable amount and the window end, capturing nothing', async () => {
    const fake = fakeActivities();
    const { input, handle } = await testbed.using(fake.activities, () => startAwaitingCapture(fake));
    const awaiting = fake.projected().at(-1)!;
    const windowEnd = awaiting.snapshot.updatedAt + WINDOW_SECONDS * 1000;
    expect(awaiting.event).toEqual({
      type: 'payment.requires_capture',
      details: {
        authorizationId: `auth_${input.paymentId}`,
        capturableAmount: 1234,
        captureBefore: new Date(windowEnd).toISOString(),
        ...BUILT_IN_DETAILS,
      },
    });
    expect(awaiting.snapshot).toMatchObject({ status: 'requires_capture', captureBefore: windowEnd });
    expect(awaiting.snapshot.capturedAmount ?? null).toBeNull();
    expect((await handle.query('getState')) as { status: string }).toMatchObject({ status: 'requires_capture' });
    expect(fake.callsTo('authorizePayment')).toHaveLength(1);
    expect(fake.callsTo('capturePayment')).toHaveLength(0);
    await handle.terminate('test over');
  });

  it('captures the whole authorization when no amount is given, then completes with it captured', async () => {
    const fake = fakeActivities();
    const { input, state, result } = await testbed.using(fake.activities, async () => {
      const { input, handle } = await startAwaitingCapture(fake);
      const state = await handle.executeUpdate(captureUpdate, { args: [{}] });
      return { input, state, result: await handle.result() };
    });
    expect(state.status).toBe('completed');
    expect(result).toEqual({ status: 'completed', failureReason: null, compensated: false, webhookStatus: null });
    expect(fake.callsTo('capturePayment').map((c) => c.args[0])).toEqual([
      { paymentId: input.paymentId, authorizationId: `auth_${input.paymentId}`, amount: 1234, scenario: undefined, route: BUILT_IN_ROUTE },
    ]);
    const completed = fake.projected().at(-1)!;
    expect(completed.event).toEqual({
      type: 'payment.completed',
      details: { authorizationId: `auth_${input.paymentId}`, capturedAmount: 1234, ...BUILT_IN_DETAILS },
    });
    expect(completed.snapshot.capturedAmount).toBe(1234);
    expect(fake.projectedEvents()).toEqual(['payment.created', 'payment.processing', 'payment.requires_capture', 'payment.completed']);
    expect(fake.callsTo('voidAuthorization')).toHaveLength(0);
  });

  it('captures part of the authorization: the gateway is asked for that amount only', async () => {
    const fake = fakeActivities();
    const { input, result } = await testbed.using(fake.activities, async () => {
      const { input, handle } = await startAwaitingCapture(fake);
      await handle.executeUpdate(captureUpdate, { args: [{ amount: 500 }] });
      return { input, result: await handle.result() };
    });
    expect(result.status).toBe('completed');
    expect(fake.callsTo('capturePayment').map((c) => (c.args[0] as { amount: number }).amount)).toEqual([500]);
    const completed = fake.projected().at(-1)!;
    expect(completed.snapshot).toMatchObject({ status: 'completed', amount: 1234, capturedAmount: 500 });
    expect(completed.event.details).toEqual({ authorizationId: `auth_${input.paymentId}`, capturedAmount: 500, ...BUILT_IN_DETAILS });
  });

  it('refuses an amount above the authorized one (or zero) and keeps waiting; a valid capture then succeeds', async () => {
    const fake = fakeActivities();
    const { above, zero, result } = await testbed.using(fake.activities, async () => {
      const { handle } = await startAwaitingCapture(fake);
      const above = await refused(handle.executeUpdate(captureUpdate, { args: [{ amount: 1235 }] }));
      const zero = await refused(handle.executeUpdate(captureUpdate, { args: [{ amount: 0 }] }));
      await handle.executeUpdate(captureUpdate, { args: [{ amount: 1234 }] });
      return { above, zero, result: await handle.result() };
    });
    expect(above.type).toBe(INVALID_CAPTURE_AMOUNT_ERROR);
    expect(above.message).toBe('amount must be an integer from 1 to the authorized 1234');
    expect(zero.type).toBe(INVALID_CAPTURE_AMOUNT_ERROR);
    expect(result.status).toBe('completed');
    // The refused requests reached no gateway: one capture, of the valid amount.
    expect(fake.callsTo('capturePayment').map((c) => (c.args[0] as { amount: number }).amount)).toEqual([1234]);
  });

  it('a capture failing for good voids the authorization and fails the payment as compensated', async () => {
    const fake = fakeActivities({
      capture: () => {
        throw declined('capture refused by acquirer');
      },
    });
    const result = await testbed.using(fake.activities, async () => {
      const { handle } = await startAwaitingCapture(fake);
      await handle.executeUpdate(captureUpdate, { args: [{ amount: 100 }] });
      return handle.result();
    });
    expect(result).toEqual({ status: 'failed', failureReason: 'capture refused by acquirer', compensated: true, webhookStatus: null });
    expect(order(fake).slice(-3)).toEqual(['capturePayment', 'voidAuthorization', 'payment.failed']);
  });

  it('voids an authorization nobody captured when its 7-day window ends, and cancels the payment as expired', async () => {
    const fake = fakeActivities();
    const { input, result, late } = await testbed.using(fake.activities, async () => {
      const { input, handle } = await startAwaitingCapture(fake);
      // Waiting on the result lets the test server skip the 7 days.
      const result = await handle.result();
      const late = await handle.executeUpdate(captureUpdate, { args: [{}] }).then(
        () => 'accepted',
        () => 'refused',
      );
      return { input, result, late };
    });
    expect(result).toEqual({ status: 'canceled', failureReason: null, compensated: true, webhookStatus: null });
    expect(fake.callsTo('voidAuthorization').map((c) => c.args[0])).toEqual([
      { paymentId: input.paymentId, authorizationId: `auth_${input.paymentId}`, route: BUILT_IN_ROUTE },
    ]);
    expect(fake.callsTo('capturePayment')).toHaveLength(0);
    const awaiting = fake.projected().find((p) => p.event.type === 'payment.requires_capture')!;
    const canceled = fake.projected().at(-1)!;
    expect(canceled.event).toEqual({
      type: 'payment.canceled',
      details: { reason: 'authorization expired', authorizationId: `auth_${input.paymentId}`, compensated: true, ...BUILT_IN_DETAILS },
    });
    // Not a moment before the window ended, and the void came before the cancellation was recorded.
    expect(canceled.snapshot.updatedAt).toBeGreaterThanOrEqual(awaiting.snapshot.updatedAt + 7 * DAY_MS);
    expect(order(fake).slice(-2)).toEqual(['voidAuthorization', 'payment.canceled']);
    expect(late).toBe('refused');
  });

  it('cancel while awaiting capture voids the authorization at once; a capture after it is refused as not awaiting capture', async () => {
    const fake = fakeActivities();
    const { input, state, refusal, result } = await testbed.using(fake.activities, async () => {
      const { input, handle } = await startAwaitingCapture(fake);
      const state = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'order abandoned' }] });
      // The workflow is finished now: Temporal itself refuses, as it would for any finished payment.
      const refusal = await handle.executeUpdate(captureUpdate, { args: [{}] }).then(
        () => undefined,
        (err: unknown) => err,
      );
      return { input, state, refusal, result: await handle.result() };
    });
    expect(state.status).toBe('canceled');
    expect(result).toEqual({ status: 'canceled', failureReason: null, compensated: true, webhookStatus: null });
    expect(refusal).toBeDefined();
    const canceled = fake.projected().at(-1)!;
    expect(canceled.event.details).toEqual({
      reason: 'order abandoned',
      authorizationId: `auth_${input.paymentId}`,
      compensated: true,
      ...BUILT_IN_DETAILS,
    });
    expect(canceled.snapshot.updatedAt).toBeLessThan(input.createdAt + DAY_MS);
    expect(fake.callsTo('voidAuthorization')).toHaveLength(1);
    expect(fake.callsTo('capturePayment')).toHaveLength(0);
  });

  it('refuses capture while the payment is still pending: nothing is authorized early', async () => {
    const fake = fakeActivities();
    const refusals = await testbed.using(fake.activities, async () => {
      const input = await paymentInput(env(), { delaySeconds: 3600, captureMethod: 'manual', captureWindowSeconds: WINDOW_SECONDS });
      const handle = await env().client.workflow.start(paymentWorkflow, {
        taskQueue: testbed.taskQueue,
        workflowId: input.paymentId,
        args: [input],
      });
      await waitUntil(() => fake.projectedEvents().includes('payment.created'), 'the first projection');
      const pending = await refused(handle.executeUpdate(captureUpdate, { args: [{}] }));
      await handle.terminate('test over');
      return [pending];
    });
    expect(refusals.map((r) => [r.type, r.message])).toEqual([
      [NOT_PENDING_ERROR, 'payment is pending; only a payment awaiting capture can be captured'],
    ]);
    expect(fake.callsTo('authorizePayment')).toHaveLength(0);
  });

  describe('capture racing the end of the window', () => {
    /** Skips server time to `offsetMs` around the window's end, then asks for the capture. */
    async function captureAt(offsetMs: number) {
      const fake = fakeActivities();
      const outcome = await testbed.using(fake.activities, async () => {
        const { handle } = await startAwaitingCapture(fake);
        const awaitingAt = fake.projected().at(-1)!.snapshot.updatedAt;
        await env().sleep(awaitingAt + WINDOW_SECONDS * 1000 + offsetMs - (await env().currentTimeMs()));
        const capture = await handle.executeUpdate(captureUpdate, { args: [{}] }).then(
          () => undefined,
          (err: unknown) => err,
        );
        return { capture, result: await handle.result() };
      });
      return { fake, ...outcome };
    }

    it('a second before the end: captured, never voided', async () => {
      const { fake, capture, result } = await captureAt(-1000);
      expect(capture).toBeUndefined();
      expect(result.status).toBe('completed');
      expect(fake.callsTo('capturePayment')).toHaveLength(1);
      expect(fake.callsTo('voidAuthorization')).toHaveLength(0);
    });

    it('at the end or after it: voided and canceled, the capture refused and never sent to the gateway', async () => {
      const { fake, capture, result } = await captureAt(1000);
      expect(capture).toBeDefined();
      expect(result.status).toBe('canceled');
      expect(fake.callsTo('capturePayment')).toHaveLength(0);
      expect(fake.callsTo('voidAuthorization')).toHaveLength(1);
    });

    it('accepted a second before the end, its gateway call retried past the end: the capture stands, no void', async () => {
      // Three transient failures: Temporal's backoff (1 s, 2 s, 4 s of server time) carries the capture past the window's end.
      const fake = fakeActivities({
        capture: (attempt) => {
          if (attempt <= 3) throw new Error('acquirer temporarily unavailable');
        },
      });
      const { state, final, windowEnd } = await testbed.using(fake.activities, async () => {
        const { handle } = await startAwaitingCapture(fake);
        const windowEnd = fake.projected().at(-1)!.snapshot.updatedAt + WINDOW_SECONDS * 1000;
        await env().sleep(windowEnd - 1000 - (await env().currentTimeMs()));
        // Accepted before the server may skip time again.
        const capture = await handle.startUpdate(captureUpdate, { args: [{ amount: 600 }], waitForStage: WorkflowUpdateStage.ACCEPTED });
        // Waiting on the result lets the server skip the backoff.
        const final = await handle.result();
        return { state: await capture.result(), final, windowEnd };
      });
      expect(state.status).toBe('completed');
      expect(final.status).toBe('completed');
      expect(fake.callsTo('capturePayment')).toHaveLength(4);
      expect(fake.callsTo('voidAuthorization')).toHaveLength(0);
      const completed = fake.projected().at(-1)!;
      expect(completed.snapshot.capturedAmount).toBe(600);
      expect(completed.snapshot.updatedAt).toBeGreaterThan(windowEnd);
      expect(fake.projectedEvents().filter((t) => t === 'payment.canceled')).toEqual([]);
    });
  });
});
