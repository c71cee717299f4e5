import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DELAY_SECONDS } from '../../common/payment-rules.js';
import {
  INVALID_AMENDMENT_ERROR,
  NOT_AMENDABLE_ERROR,
  NOT_PENDING_ERROR,
  amendUpdate,
  cancelUpdate,
  processNowUpdate,
  type PaymentWorkflowInput,
} from '../../common/workflow-api.js';
import { paymentWorkflow } from '../../worker/workflows/index.js';
import { paymentInput, startWorkflowTestbed, waitUntil, type WorkflowTestbed } from './environment.js';
import { fakeActivities } from './fake-activities.js';

const HOUR_MS = 3_600_000;
let testbed: WorkflowTestbed;
const env = () => testbed.env;

beforeAll(async () => {
  testbed = await startWorkflowTestbed();
});
afterAll(async () => {
  await testbed?.teardown();
});

async function timerEvents(workflowId: string): Promise<string[]> {
  const history = await env().client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.timerStartedEventAttributes || e.timerFiredEventAttributes || e.timerCanceledEventAttributes)
    .map((e) => (e.timerStartedEventAttributes ? 'started' : e.timerFiredEventAttributes ? 'fired' : 'canceled'));
}

/** Starts a payment and waits until its first projection ran (its timer is then started). */
async function startPending(fake: ReturnType<typeof fakeActivities>, overrides: Partial<PaymentWorkflowInput> = {}) {
  const input = await paymentInput(env(), { delaySeconds: MAX_DELAY_SECONDS, ...overrides });
  const handle = await env().client.workflow.start(paymentWorkflow, {
    taskQueue: testbed.taskQueue,
    workflowId: input.paymentId,
    args: [input],
  });
  await waitUntil(() => fake.projectedEvents().includes('payment.created'), 'the first projection');
  return { input, handle };
}

/** The application failure an update was refused with. */
function refusalOf(err: unknown): ApplicationFailure {
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

describe('amending a pending payment', () => {
  it('a shorter delay (already past, counted from creation) processes at once, with the amended amount', async () => {
    const fake = fakeActivities();
    const { input, state, result } = await testbed.using(fake.activities, async () => {
      const { input, handle } = await startPending(fake);
      const state = await handle.executeUpdate(amendUpdate, { args: [{ delaySeconds: 0, amount: 999, currency: 'USD' }] });
      return { input, state, result: await handle.result() };
    });
    // Answered once the amendment was written; processing may already have begun (version 3).
    expect(state.version).toBeGreaterThanOrEqual(2);
    expect(state.scheduledAt).toBe(input.createdAt);
    expect(result.status).toBe('completed');
    expect(fake.projectedEvents()).toEqual(['payment.created', 'payment.amended', 'payment.processing', 'payment.completed']);
    const amended = fake.projected().find((p) => p.event.type === 'payment.amended')!;
    expect(amended.snapshot).toMatchObject({ version: 2, amount: 999, currency: 'USD', delaySeconds: 0, scheduledAt: input.createdAt });
    expect(amended.event.details).toEqual({
      changes: {
        amount: { before: 1234, after: 999 },
        currency: { before: 'EUR', after: 'USD' },
        delaySeconds: { before: MAX_DELAY_SECONDS, after: 0 },
        scheduledAt: {
          before: new Date(input.createdAt + MAX_DELAY_SECONDS * 1000).toISOString(),
          after: new Date(input.createdAt).toISOString(),
        },
      },
    });
    const processing = fake.projected().find((p) => p.event.type === 'payment.processing')!;
    expect(processing.snapshot.updatedAt).toBeLessThan(input.createdAt + HOUR_MS);
    expect(fake.callsTo('authorizePayment')[0]!.args[0]).toMatchObject({ amount: 999, currency: 'USD' });
    // The 30-day timer was canceled when the schedule moved; none replaced it.
    expect(await timerEvents(input.paymentId)).toEqual(['started', 'canceled']);
  });

  it('a longer delay holds the payment until the new time', async () => {
    const fake = fakeActivities();
    const { input, result } = await testbed.using(fake.activities, async () => {
      const { input, handle } = await startPending(fake, { delaySeconds: 60 });
      await handle.executeUpdate(amendUpdate, { args: [{ delaySeconds: 3600 }] });
      return { input, result: await handle.result() };
    });
    expect(result.status).toBe('completed');
    const processing = fake.projected().find((p) => p.event.type === 'payment.processing')!;
    expect(processing.snapshot.updatedAt).toBeGreaterThanOrEqual(input.createdAt + HOUR_MS);
    expect(processing.snapshot.scheduledAt).toBe(input.createdAt + HOUR_MS);
    expect(await timerEvents(input.paymentId)).toEqual(['started', 'canceled', 'started', 'fired']);
  });

  it('amended, then canceled: the canceled payment keeps the amended values and the gateway is never called', async () => {
    const fake = fakeActivities();
    const { result } = await testbed.using(fake.activities, async () => {
      const { handle } = await startPending(fake);
      await handle.executeUpdate(amendUpdate, {
        args: [{ amount: 50, webhookUrl: 'https://receiver.example/new', description: 'second thoughts', metadata: { order: 'B-2' } }],
      });
      await handle.executeUpdate(cancelUpdate, { args: [{}] });
      return { result: await handle.result() };
    });
    expect(result.status).toBe('canceled');
    expect(result.webhookStatus).toBe('pending');
    expect(fake.projectedEvents()).toEqual(['payment.created', 'payment.amended', 'payment.canceled']);
    const canceled = fake.projected().find((p) => p.event.type === 'payment.canceled')!;
    expect(canceled.snapshot).toMatchObject({
      version: 3,
      amount: 50,
      webhookUrl: 'https://receiver.example/new',
      description: 'second thoughts',
      metadata: { order: 'B-2' },
    });
    expect(fake.calls.filter((c) => ['authorizePayment', 'capturePayment'].includes(c.name))).toEqual([]);
  });

  it('the same values again are no new version', async () => {
    const fake = fakeActivities();
    const states = await testbed.using(fake.activities, async () => {
      const { handle } = await startPending(fake);
      const first = await handle.executeUpdate(amendUpdate, { args: [{ amount: 77 }] });
      const again = await handle.executeUpdate(amendUpdate, { args: [{ amount: 77 }] });
      await handle.executeUpdate(cancelUpdate, { args: [{}] });
      return [first, again];
    });
    expect(states.map((s) => s.version)).toEqual([2, 2]);
    expect(fake.projectedEvents().filter((t) => t === 'payment.amended')).toHaveLength(1);
  });

  it('is refused once processing began, and the charge goes on with the values it had', async () => {
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
      const refusal = await settle(handle.executeUpdate(amendUpdate, { args: [{ amount: 1 }] }));
      release();
      return { refusal, result: await handle.result() };
    });
    expect(refusal.ok).toBe(false);
    const cause = refusalOf(!refusal.ok && refusal.error);
    expect(cause.type).toBe(NOT_PENDING_ERROR);
    expect(cause.message).toBe('payment is processing; only a pending payment can be amended');
    expect(result.status).toBe('completed');
    expect(fake.projectedEvents()).not.toContain('payment.amended');
    expect(fake.projected().every((p) => p.snapshot.amount === 1234)).toBe(true);
  });

  it('racing processNow: either the amendment lands first and is charged, or it is refused and changes nothing', async () => {
    const fake = fakeActivities();
    const { amend, now, result } = await testbed.using(fake.activities, async () => {
      const { handle } = await startPending(fake);
      const [amend, now] = await Promise.all([
        settle(handle.executeUpdate(amendUpdate, { args: [{ amount: 4242 }] })),
        settle(handle.executeUpdate(processNowUpdate)),
      ]);
      return { amend, now, result: await handle.result() };
    });
    expect(now.ok).toBe(true);
    expect(result.status).toBe('completed');
    const charged = (fake.callsTo('authorizePayment')[0]!.args[0] as { amount: number }).amount;
    if (amend.ok) {
      expect(charged).toBe(4242);
      expect(fake.projectedEvents().slice(0, 3)).toEqual(['payment.created', 'payment.amended', 'payment.processing']);
    } else {
      expect(refusalOf(amend.error).type).toBe(NOT_PENDING_ERROR);
      expect(charged).toBe(1234);
      expect(fake.projectedEvents()).not.toContain('payment.amended');
    }
    // Every projection carries a higher version than the one before: nothing was written out of order.
    const versions = fake.projected().map((p) => p.snapshot.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('refuses invalid and empty amendments, and a Go-contract payment, without changing anything', async () => {
    const fake = fakeActivities();
    const refusals = await testbed.using(fake.activities, async () => {
      const { handle } = await startPending(fake);
      const { handle: goHandle } = await startPending(fake, { notifyOwnWebhook: 'processed' });
      const refusals = await Promise.all([
        settle(handle.executeUpdate(amendUpdate, { args: [{}] })),
        settle(handle.executeUpdate(amendUpdate, { args: [{ amount: -5 }] })),
        settle(handle.executeUpdate(amendUpdate, { args: [{ currency: 'euro' }] })),
        settle(handle.executeUpdate(amendUpdate, { args: [{ delaySeconds: MAX_DELAY_SECONDS + 1 }] })),
        settle(handle.executeUpdate(amendUpdate, { args: [{ webhookUrl: 'ftp://x.example/' }] })),
        settle(handle.executeUpdate(amendUpdate, { args: [{ data: {} } as never] })),
        settle(goHandle.executeUpdate(amendUpdate, { args: [{ amount: 10 }] })),
      ]);
      await Promise.all([handle.executeUpdate(cancelUpdate, { args: [{}] }), goHandle.executeUpdate(cancelUpdate, { args: [{}] })]);
      return refusals;
    });
    const types = refusals.map((r) => (r.ok ? 'accepted' : refusalOf(r.error).type));
    expect(types).toEqual([...Array<string>(6).fill(INVALID_AMENDMENT_ERROR), NOT_AMENDABLE_ERROR]);
    const messages = refusals.map((r) => (r.ok ? '' : refusalOf(r.error).message));
    expect(messages[0]).toMatch(/^the amendment is empty/);
    expect(messages[1]).toMatch(/^amount /);
    expect(messages[2]).toMatch(/^currency /);
    expect(messages[3]).toMatch(/^delaySeconds /);
    expect(messages[4]).toMatch(/^webhookUrl /);
    expect(messages[5]).toMatch(/^data: cannot be amended/);
    expect(fake.projectedEvents()).not.toContain('payment.amended');
  });

  it('the write that follows an amendment waits for it: projections never overlap, versions in order', async () => {
    // The amendment's write is slow; the processing it makes due at once is projected only after it.
    const fake = fakeActivities({
      project: (_snapshot, event) =>
        event.type === 'payment.amended' ? new Promise((resolve) => setTimeout(resolve, 300)) : Promise.resolve(),
    });
    await testbed.using(fake.activities, async () => {
      const { handle } = await startPending(fake);
      await handle.executeUpdate(amendUpdate, { args: [{ delaySeconds: 0 }] });
      await handle.result();
    });
    expect(fake.projectionLog).toEqual(
      [1, 2, 3, 4].flatMap((version) => [
        { version, phase: 'start' },
        { version, phase: 'end' },
      ]),
    );
  });
});
