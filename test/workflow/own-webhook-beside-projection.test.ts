import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownWebhookUrl, webhookMessageId } from '../../common/webhook-message-id.js';
import { OWN_WEBHOOK_LANE, type PaymentSnapshot, type PaymentWorkflowInput, type ProjectionEvent } from '../../common/workflow-api.js';
import { paymentWorkflow } from '../../worker/workflows/index.js';
import { paymentInput, startWorkflowTestbed, type WorkflowTestbed } from './environment.js';
import { fakeActivities, type FakeActivityScript } from './fake-activities.js';

let testbed: WorkflowTestbed;

beforeAll(async () => {
  testbed = await startWorkflowTestbed();
});
afterAll(async () => {
  await testbed?.teardown();
});

/** As the real projection enqueues it: the own webhook's message of the final state, under its real id. */
const ownMessage = (snapshot: PaymentSnapshot, event: ProjectionEvent) =>
  ownWebhookUrl(snapshot, event) === null
    ? []
    : [{ id: webhookMessageId(snapshot.paymentId, snapshot.version, OWN_WEBHOOK_LANE), lane: OWN_WEBHOOK_LANE }];

async function runPayment(script: FakeActivityScript, overrides: Partial<PaymentWorkflowInput> = {}) {
  const fake = fakeActivities(script);
  const input = await paymentInput(testbed.env, { webhookUrl: 'https://receiver.example/hook', ...overrides });
  const result = await testbed.using(fake.activities, () =>
    testbed.env.client.workflow.execute(paymentWorkflow, { taskQueue: testbed.taskQueue, workflowId: input.paymentId, args: [input] }),
  );
  const history = (await testbed.env.client.workflow.getHandle(input.paymentId).fetchHistory()).events ?? [];
  return { fake, input, result, history };
}

/** Each scheduled activity with the workflow task that scheduled it. */
function scheduled(history: temporal.api.history.v1.IHistoryEvent[]) {
  return history
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => ({
      type: e.activityTaskScheduledEventAttributes!.activityType!.name!,
      byTask: Number(e.activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId),
    }));
}

describe('the own webhook of a final state', () => {
  it('is scheduled by the same workflow task as its projection, under the id the projection gives it', async () => {
    const { fake, input, result, history } = await runPayment({ messages: ownMessage });
    expect(result).toEqual({ status: 'completed', failureReason: null, compensated: false, webhookStatus: 'delivered' });
    const id = webhookMessageId(input.paymentId, 3, OWN_WEBHOOK_LANE);
    // Delivered once, told to wait for the row the projection writes.
    expect(fake.callsTo('deliverWebhookMessage').map((c) => c.args)).toEqual([[id, { awaitProjection: true }]]);
    // The final projection is a task-queue activity, so nothing holds the task that schedules the delivery.
    const tasks = scheduled(history);
    const projection = tasks.find((t) => t.type === 'projectPayment');
    const delivery = tasks.find((t) => t.type === 'deliverWebhookMessage');
    expect(projection).toBeDefined();
    expect(delivery?.byTask).toBe(projection?.byTask);
    expect(fake.projected().at(-1)!.event).toMatchObject({ type: 'webhook.delivered', details: { messageId: id } });
  });

  it('is cancelled, and reports nothing, when the database refuses the final state', async () => {
    const { fake, result, history } = await runPayment({
      messages: ownMessage,
      refuse: (_snapshot, event) => (event.type === 'payment.completed' ? 'value too long' : undefined),
    });
    expect(result).toEqual({ status: 'completed', failureReason: 'value too long', compensated: false, webhookStatus: null });
    expect(fake.callsTo('deliverWebhookMessage')).toEqual([]);
    expect(fake.projectedEvents().filter((t) => t.startsWith('webhook.'))).toEqual([]);
    expect(history.some((e) => e.activityTaskCancelRequestedEventAttributes)).toBe(true);
  });

  it('is not sent early for a state that sends none (no webhookUrl)', async () => {
    const { fake, result, history } = await runPayment({ messages: ownMessage }, { webhookUrl: null });
    expect(result.webhookStatus).toBeNull();
    expect(fake.callsTo('deliverWebhookMessage')).toEqual([]);
    // Every projection stays a local activity (a marker, no scheduled task).
    expect(scheduled(history).map((t) => t.type)).toEqual(['authorizePayment', 'capturePayment']);
  });
});
