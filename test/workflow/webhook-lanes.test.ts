import { ApplicationFailure } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DELAY_SECONDS } from '../../common/payment-rules.js';
import {
  OWN_WEBHOOK_LANE,
  cancelUpdate,
  captureUpdate,
  type PaymentSnapshot,
  type PaymentWorkflowInput,
  type ProjectionEvent,
  type WebhookMessageRef,
} from '../../common/workflow-api.js';
import { paymentWorkflow, webhookDeliveryWorkflow } from '../../worker/workflows/index.js';
import { paymentInput, startWorkflowTestbed, waitUntil, type WorkflowTestbed } from './environment.js';
import { fakeActivities, type FakeActivityScript } from './fake-activities.js';

let testbed: WorkflowTestbed;

beforeAll(async () => {
  testbed = await startWorkflowTestbed();
});
afterAll(async () => {
  await testbed?.teardown();
});

const ENDPOINTS = ['we_a', 'we_b'];
/** As db/webhook-messages.ts decides it: a Go-contract payment's own webhook hears nothing of a cancel. */
const isFinal = (snapshot: PaymentSnapshot, event: ProjectionEvent) =>
  event.type === `payment.${snapshot.status}` &&
  snapshot.completedAt !== null &&
  !(snapshot.notifyOwnWebhook === 'processed' && snapshot.status === 'canceled');

/**
 * As the projection enqueues them: every payment event to each endpoint, and the final event to the
 * payment's own webhookUrl. Ids carry lane and version, so order is readable from them.
 */
function enqueued(snapshot: PaymentSnapshot, event: ProjectionEvent): WebhookMessageRef[] {
  if (!event.type.startsWith('payment.')) return [];
  const messages = ENDPOINTS.map((lane) => ({ id: `${lane}:v${snapshot.version}`, lane }));
  if (snapshot.webhookUrl && isFinal(snapshot, event))
    messages.push({ id: `${OWN_WEBHOOK_LANE}:v${snapshot.version}`, lane: OWN_WEBHOOK_LANE });
  return messages;
}

async function runPayment(script: FakeActivityScript, overrides: Partial<PaymentWorkflowInput> = {}) {
  const fake = fakeActivities(script);
  const input = await paymentInput(testbed.env, overrides);
  const result = await testbed.using(fake.activities, () =>
    testbed.env.client.workflow.execute(paymentWorkflow, { taskQueue: testbed.taskQueue, workflowId: input.paymentId, args: [input] }),
  );
  return { fake, input, result };
}

/** Per lane, the messages in the order their deliveries started, and whether any two overlapped. */
function lanesOf(log: Array<{ messageId: string; phase: 'start' | 'end' }>) {
  const lanes = new Map<string, string[]>();
  const open = new Map<string, string>();
  let overlapped = false;
  for (const { messageId, phase } of log) {
    const lane = messageId.split(':')[0]!;
    if (phase === 'start') {
      if (open.has(lane)) overlapped = true;
      open.set(lane, messageId);
      lanes.set(lane, [...(lanes.get(lane) ?? []), messageId]);
    } else open.delete(lane);
  }
  return { lanes: Object.fromEntries(lanes), overlapped };
}

describe('webhook lanes', () => {
  it('deliver each lane in event order, one message at a time, and record the own webhook outcome', async () => {
    // Early messages are slow and late ones fast: a lane that did not wait would deliver out of order.
    const slowFirst = (messageId: string) =>
      new Promise<void>((resolve) => setTimeout(resolve, messageId.endsWith(':v1') ? 150 : messageId.endsWith(':v2') ? 50 : 0));
    const { fake, result } = await runPayment(
      {
        messages: enqueued,
        deliver: (messageId) => slowFirst(messageId).then(() => ({ delivered: true, statusCode: 204, attempts: 1, error: null })),
      },
      { webhookUrl: 'https://receiver.example/hook' },
    );
    expect(result).toEqual({ status: 'completed', failureReason: null, compensated: false, webhookStatus: 'delivered' });
    const { lanes, overlapped } = lanesOf(fake.deliveryLog);
    expect(lanes).toEqual({
      we_a: ['we_a:v1', 'we_a:v2', 'we_a:v3'],
      we_b: ['we_b:v1', 'we_b:v2', 'we_b:v3'],
      own: ['own:v3'],
    });
    expect(overlapped).toBe(false);
    // The own webhook's outcome is a state change of its own, projected with the next version.
    const delivered = fake.projected().at(-1)!;
    expect(delivered.event).toEqual({
      type: 'webhook.delivered',
      details: { messageId: 'own:v3', statusCode: 204, attempts: 1, error: null },
    });
    expect(delivered.snapshot).toMatchObject({ version: 4, webhookStatus: 'delivered', status: 'completed' });
    // Each state written once: by the activity whose success made it, the workflow adding no write of its own.
    expect(fake.projectedEvents()).toEqual(['payment.created', 'payment.processing', 'payment.completed', 'webhook.delivered']);
    // Written by the own webhook's delivery itself, handed version 4;
    // endpoint messages carry no record.
    const deliveries = fake.calls.filter((c) => c.name === 'deliverWebhookMessage');
    expect(
      deliveries.filter((c) => c.args.length === 2).map((c) => [c.args[0], (c.args[1] as { snapshot: PaymentSnapshot }).snapshot.version]),
    ).toEqual([['own:v3', 4]]);
  });

  it("the capture's first attempt at the own webhook, when final, is its delivery: no delivery activity, the outcome written once at version 4", async () => {
    const { fake, result } = await runPayment(
      {
        messages: enqueued,
        firstAttempt: async () => ({ outcome: { delivered: true, statusCode: 200, attempts: 1, error: null } }),
      },
      { webhookUrl: 'https://receiver.example/hook' },
    );
    expect(result).toEqual({ status: 'completed', failureReason: null, compensated: false, webhookStatus: 'delivered' });
    // Endpoint lanes keep their order through the delivery activity; the own lane sends nothing more.
    expect(lanesOf(fake.deliveryLog).lanes).toEqual({
      we_a: ['we_a:v1', 'we_a:v2', 'we_a:v3'],
      we_b: ['we_b:v1', 'we_b:v2', 'we_b:v3'],
    });
    expect(fake.projectedEvents()).toEqual(['payment.created', 'payment.processing', 'payment.completed', 'webhook.delivered']);
    expect(fake.projected().at(-1)!.snapshot).toMatchObject({ version: 4, webhookStatus: 'delivered', status: 'completed' });
  });

  it("after the capture's failed first attempt, the delivery activity is handed the wait before the next", async () => {
    const { fake, result } = await runPayment(
      { messages: enqueued, firstAttempt: async () => ({ retryInMs: 5_000 }) },
      { webhookUrl: 'https://receiver.example/hook' },
    );
    expect(result.webhookStatus).toBe('delivered');
    const own = fake.callsTo('deliverWebhookMessage').filter((c) => String(c.args[0]).startsWith('own:'));
    expect(own.map((c) => [c.args[0], (c.args[1] as { after?: number }).after])).toEqual([['own:v3', 5_000]]);
    expect(fake.projectedEvents()).toEqual(['payment.created', 'payment.processing', 'payment.completed', 'webhook.delivered']);
  });

  it('an own webhook whose first attempt was final but not written on the payment is written by the workflow, at version 4', async () => {
    const { fake, result } = await runPayment(
      {
        messages: enqueued,
        firstAttempt: async () => ({ outcome: { delivered: true, statusCode: 200, attempts: 1, error: null } }),
        // The capture's write of the outcome fails once; the workflow's own (local activity) succeeds.
        refuse: (() => {
          let refused = false;
          return (_s: PaymentSnapshot, event: ProjectionEvent) =>
            event.type === 'webhook.delivered' && !refused ? ((refused = true), 'refused once') : undefined;
        })(),
      },
      { webhookUrl: 'https://receiver.example/hook' },
    );
    expect(result.webhookStatus).toBe('delivered');
    expect(fake.callsTo('deliverWebhookMessage').filter((c) => String(c.args[0]).startsWith('own:'))).toEqual([]);
    const written = fake.projected().filter((p) => p.event.type === 'webhook.delivered');
    expect(written.map((p) => p.snapshot.version)).toEqual([4, 4]);
  });

  it('a dead-lettered own webhook marks the payment webhookStatus failed; endpoint failures do not', async () => {
    const { fake, result } = await runPayment(
      {
        messages: enqueued,
        deliver: async (messageId) =>
          messageId.startsWith('we_a:') || messageId.startsWith('own:')
            ? { delivered: false, statusCode: 500, attempts: 8, error: 'receiver answered HTTP 500' }
            : { delivered: true, statusCode: 200, attempts: 1, error: null },
      },
      { webhookUrl: 'https://receiver.example/hook' },
    );
    expect(result).toEqual({ status: 'completed', failureReason: null, compensated: false, webhookStatus: 'failed' });
    expect(fake.projectedEvents().filter((t) => t.startsWith('webhook.'))).toEqual(['webhook.failed']);
    // A failed endpoint message does not stop its lane.
    expect(lanesOf(fake.deliveryLog).lanes.we_a).toEqual(['we_a:v1', 'we_a:v2', 'we_a:v3']);
  });

  it('a delivery that fails for good (a missing message) counts as failed, and the payment still ends', async () => {
    const { fake, result } = await runPayment(
      {
        messages: enqueued,
        deliver: async (messageId) => {
          if (messageId.startsWith('own:'))
            throw ApplicationFailure.nonRetryable(`no webhook message ${messageId}`, 'WebhookMessageMissing');
          return { delivered: true, statusCode: 200, attempts: 1, error: null };
        },
      },
      { webhookUrl: 'https://receiver.example/hook' },
    );
    expect(result).toEqual({ status: 'completed', failureReason: null, compensated: false, webhookStatus: 'failed' });
    expect(fake.projected().at(-1)!.event).toEqual({
      type: 'webhook.failed',
      details: { messageId: 'own:v3', statusCode: null, attempts: 0, error: 'no webhook message own:v3' },
    });
  });

  it('a Go-contract payment canceled during its delay never calls its own webhook', async () => {
    const fake = fakeActivities({ messages: enqueued });
    const { result } = await testbed.using(fake.activities, async () => {
      const input = await paymentInput(testbed.env, {
        delaySeconds: MAX_DELAY_SECONDS,
        webhookUrl: 'https://receiver.example/hook',
        notifyOwnWebhook: 'processed',
      });
      const handle = await testbed.env.client.workflow.start(paymentWorkflow, {
        taskQueue: testbed.taskQueue,
        workflowId: input.paymentId,
        args: [input],
      });
      await waitUntil(() => fake.projectedEvents().includes('payment.created'), 'the first projection');
      await handle.executeUpdate(cancelUpdate, { args: [{}] });
      return { result: await handle.result() };
    });
    expect(result).toEqual({ status: 'canceled', failureReason: null, compensated: false, webhookStatus: null });
    // Nothing to wait for: the canceled state says so (webhookStatus null), and no delivery ran.
    expect(fake.projected().find((p) => p.event.type === 'payment.canceled')!.snapshot.webhookStatus).toBeNull();
    expect(lanesOf(fake.deliveryLog).lanes.own).toBeUndefined();
  });

  // From the hostile review of 26ee9f7 (the final state's first webhook try as a local activity;
  // reverted): a workflow task with a local activity outstanding is not completed until it resolves,
  // and the cancel or capture that made the state final answers in that task, so its caller would wait
  // for the receiver. Negative control: 26ee9f7 fails both cases.
  describe('the update that makes a payment final is answered without waiting for its receivers', () => {
    const RECEIVER_MS = 4_000;
    /** Final messages (version `finalVersion`) take the receiver RECEIVER_MS to answer; the rest are instant. */
    const slowReceiverAt = (finalVersion: number) =>
      fakeActivities({
        messages: enqueued,
        deliver: async (messageId) => {
          if (messageId.endsWith(`:v${finalVersion}`)) await new Promise((resolve) => setTimeout(resolve, RECEIVER_MS));
          return { delivered: true, statusCode: 200, attempts: 1, error: null };
        },
      });
    /** How long the update took, and which final deliveries had ended by the time it answered. */
    async function timed(fake: ReturnType<typeof fakeActivities>, finalVersion: number, update: () => Promise<{ status: string }>) {
      const started = Date.now();
      const state = await update();
      const answeredAfterMs = Date.now() - started;
      const endedBeforeAnswer = fake.deliveryLog
        .filter((e) => e.phase === 'end' && e.messageId.endsWith(`:v${finalVersion}`))
        .map((e) => e.messageId);
      return { status: state.status, answeredAfterMs, endedBeforeAnswer };
    }

    it('capture', async () => {
      const fake = slowReceiverAt(4); // created v1, processing v2, requires_capture v3, completed v4
      const outcome = await testbed.using(fake.activities, async () => {
        const input = await paymentInput(testbed.env, {
          captureMethod: 'manual',
          captureWindowSeconds: 7 * 24 * 3600,
          webhookUrl: 'https://receiver.example/hook',
        });
        const handle = await testbed.env.client.workflow.start(paymentWorkflow, {
          taskQueue: testbed.taskQueue,
          workflowId: input.paymentId,
          args: [input],
        });
        await waitUntil(() => fake.projectedEvents().includes('payment.requires_capture'), 'requires_capture to be projected');
        const outcome = await timed(fake, 4, () => handle.executeUpdate(captureUpdate, { args: [{}] }));
        await handle.result();
        return outcome;
      });
      expect(outcome.status).toBe('completed');
      expect.soft(outcome.answeredAfterMs, 'ms from update to answer').toBeLessThan(RECEIVER_MS / 2);
      expect.soft(outcome.endedBeforeAnswer, 'final deliveries that ended before the answer').toEqual([]);
    });

    it('cancel', async () => {
      const fake = slowReceiverAt(2); // created v1, canceled v2
      const outcome = await testbed.using(fake.activities, async () => {
        const input = await paymentInput(testbed.env, { delaySeconds: MAX_DELAY_SECONDS, webhookUrl: 'https://receiver.example/hook' });
        const handle = await testbed.env.client.workflow.start(paymentWorkflow, {
          taskQueue: testbed.taskQueue,
          workflowId: input.paymentId,
          args: [input],
        });
        await waitUntil(() => fake.projectedEvents().includes('payment.created'), 'the first projection');
        const outcome = await timed(fake, 2, () => handle.executeUpdate(cancelUpdate, { args: [{}] }));
        await handle.result();
        return outcome;
      });
      expect(outcome.status).toBe('canceled');
      expect.soft(outcome.answeredAfterMs, 'ms from update to answer').toBeLessThan(RECEIVER_MS / 2);
      expect.soft(outcome.endedBeforeAnswer, 'final deliveries that ended before the answer').toEqual([]);
    });
  });

  it('redelivery sends the given messages one after another and returns each outcome', async () => {
    const fake = fakeActivities({
      deliver: async (messageId) => ({
        delivered: messageId !== 'm2',
        statusCode: messageId === 'm2' ? 410 : 200,
        attempts: 1,
        error: null,
      }),
    });
    const outcomes = await testbed.using(fake.activities, () =>
      testbed.env.client.workflow.execute(webhookDeliveryWorkflow, {
        taskQueue: testbed.taskQueue,
        workflowId: `redeliver-${Date.now()}`,
        args: [['m1', 'm2', 'm3']],
      }),
    );
    expect(outcomes.map((o) => o.statusCode)).toEqual([200, 410, 200]);
    expect(fake.deliveryLog.map((e) => `${e.phase}:${e.messageId}`)).toEqual([
      'start:m1',
      'end:m1',
      'start:m2',
      'end:m2',
      'start:m3',
      'end:m3',
    ]);
  });
});
