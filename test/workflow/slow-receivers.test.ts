import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OWN_WEBHOOK_LANE, type PaymentSnapshot, type ProjectionEvent, type WebhookMessageRef } from '../../common/workflow-api.js';
import { paymentWorkflow } from '../../worker/workflows/index.js';
import { paymentInput, startWorkflowTestbed, waitUntil, type WorkflowTestbed } from './environment.js';
import { fakeActivities } from './fake-activities.js';

// From the hostile review of 26ee9f7 (a final state's first webhook try inline, as a local activity;
// reverted): while a local activity runs, core keeps the workflow task open, and the task keeps its
// workflow-task slot (OutstandingTask.permit in sdk-core's worker/workflow) until the receiver answers.
// A worker has maxConcurrentWorkflowTaskExecutions slots (40 by default) for every workflow it runs, so
// receivers slow to answer (up to WEBHOOK_TIMEOUT_MS) would hold the slots every other payment needs.
// Deliveries are task-queue activities so that a slow receiver holds an activity slot only; this test
// keeps it so, scaled down to 2 slots and 2 slow receivers. Negative control: 26ee9f7 fails it.

let testbed: WorkflowTestbed;
beforeAll(async () => {
  testbed = await startWorkflowTestbed();
});
afterAll(async () => {
  await testbed?.teardown();
});

const SLOTS = 2;
const RECEIVER_MS = 5_000;

/** Only the final state's message to the payment's own webhookUrl. */
function ownFinalWebhook(snapshot: PaymentSnapshot, event: ProjectionEvent): WebhookMessageRef[] {
  const final = event.type === `payment.${snapshot.status}` && snapshot.completedAt !== null;
  return snapshot.webhookUrl && final ? [{ id: `${OWN_WEBHOOK_LANE}:${snapshot.paymentId}`, lane: OWN_WEBHOOK_LANE }] : [];
}

describe('inline webhook tries and the worker', () => {
  it("slow receivers of final states do not hold the workflow-task slots another payment's workflow needs", async () => {
    const fake = fakeActivities({
      messages: ownFinalWebhook,
      deliver: async () => {
        await new Promise((resolve) => setTimeout(resolve, RECEIVER_MS));
        return { delivered: true, statusCode: 200, attempts: 1, error: null };
      },
    });
    const { env } = testbed;
    const taskQueue = `inline-slots-${process.pid}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: fake.activities,
      maxConcurrentWorkflowTaskExecutions: SLOTS,
      maxCachedWorkflows: 10,
    });
    const outcome = await worker.runUntil(async () => {
      // SLOTS payments whose final webhook goes to a receiver that takes RECEIVER_MS to answer…
      const slow = await Promise.all(
        Array.from({ length: SLOTS }, async () => {
          const input = await paymentInput(env, { webhookUrl: 'https://slow-receiver.example/hook' });
          return env.client.workflow.start(paymentWorkflow, { taskQueue, workflowId: input.paymentId, args: [input] });
        }),
      );
      await waitUntil(() => fake.deliveryLog.filter((e) => e.phase === 'start').length === SLOTS, 'the slow deliveries to be under way');
      // …then another payment, without any webhook, on the same worker.
      const input = await paymentInput(env);
      const started = Date.now();
      const result = await env.client.workflow.execute(paymentWorkflow, { taskQueue, workflowId: input.paymentId, args: [input] });
      const tookMs = Date.now() - started;
      const slowDeliveriesEnded = fake.deliveryLog.filter((e) => e.phase === 'end').length;
      await Promise.all(slow.map((handle) => handle.result()));
      return { status: result.status, tookMs, slowDeliveriesEnded };
    });
    expect(outcome.status).toBe('completed');
    // It finished while the slow receivers were still answering, in far less than their RECEIVER_MS.
    expect.soft(outcome.tookMs, 'ms the other payment took, start to result').toBeLessThan(RECEIVER_MS / 2);
    expect.soft(outcome.slowDeliveriesEnded, 'slow deliveries that had ended when it finished').toBe(0);
  });
});
