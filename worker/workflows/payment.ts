import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { TERMINAL_STATUSES, type PaymentStatus } from '../../common/payment.js';
import { errorChain } from '../../common/error-chain.js';
import { paymentInputProblem } from '../../common/payment-rules.js';
import {
  NOT_PENDING_ERROR,
  cancelUpdate,
  getStateQuery,
  initialSnapshot,
  processNowUpdate,
  type PaymentSnapshot,
  type PaymentWorkflowInput,
  type PaymentWorkflowResult,
  type PaymentWorkflowState,
  type ProjectionEvent,
  type WebhookDeliveryOutcome,
  type WebhookMessageRef,
  OWN_WEBHOOK_LANE,
  PROJECTION_REFUSED_ERROR,
} from '../../common/workflow-api.js';
import type { Activities } from '../activities/index.js';

// Projection writes are short database upserts: local activities keep them off the task queue and
// out of the history (one marker each). They retry without limit so the read model always converges.
const { projectPayment, recordRefusedPayment } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

const { authorizePayment, capturePayment } = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

// The activity paces its own retries along the configured schedule (nextRetryDelay) and returns
// once the outcome is final, so Temporal's policy only needs to keep retrying.
const { deliverWebhookMessage } = proxyActivities<Activities>({
  startToCloseTimeout: '3m',
  // The attempt heartbeats: a worker that dies mid-attempt is noticed in seconds, not minutes.
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 1 },
});

// Compensation must happen: no attempt limit.
const { voidAuthorization } = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
});

/**
 * One payment's whole life: pending for its delay (a durable timer, cancellable), then
 * authorize + capture through the gateway (voiding the authorization if capture fails for good),
 * then webhooks. Every state change is projected into Postgres with a rising version, and the
 * projection returns the webhook messages it enqueued for this workflow to deliver.
 */
export async function paymentWorkflow(fields: PaymentWorkflowInput): Promise<PaymentWorkflowResult> {
  const payment = initialSnapshot(fields, workflowInfo().firstExecutionRunId);
  let projectedVersion = 0;
  let cancelReason: string | null = null;
  let hurry = false;

  const state = (): PaymentWorkflowState => ({
    status: payment.status,
    version: payment.version,
    scheduledAt: payment.scheduledAt,
    failureReason: payment.failureReason,
    compensated: payment.compensated,
    webhookStatus: payment.webhookStatus,
  });

  // One lane per receiver: its messages go out in event order, lanes run side by side.
  const lanes = new Map<string, Promise<void>>();
  const enqueue = (messages: WebhookMessageRef[]) => {
    for (const message of messages) {
      const previous = lanes.get(message.lane) ?? Promise.resolve();
      lanes.set(message.lane, previous.then(() => deliver(message)));
    }
  };
  const project = async (event: ProjectionEvent) => {
    enqueue(await projectPayment({ ...payment }, event));
    projectedVersion = Math.max(projectedVersion, payment.version);
  };
  const deliver = async (message: WebhookMessageRef) => {
    let outcome: WebhookDeliveryOutcome;
    try {
      outcome = await deliverWebhookMessage(message.id);
    } catch (err) {
      outcome = { delivered: false, statusCode: null, attempts: 0, error: failureMessage(err) };
    }
    if (message.lane !== OWN_WEBHOOK_LANE) return;
    // The payment's own webhookUrl (the Go contract) reports its outcome on the payment.
    payment.webhookStatus = outcome.delivered ? 'delivered' : 'failed';
    payment.version += 1;
    payment.updatedAt = Date.now();
    await project({
      type: outcome.delivered ? 'webhook.delivered' : 'webhook.failed',
      details: { messageId: message.id, statusCode: outcome.statusCode, attempts: outcome.attempts, error: outcome.error },
    });
  };

  // Status changes synchronously (so update validators see it at once), then the write follows.
  const transition = async (
    status: PaymentStatus,
    details: Record<string, unknown> = {},
    change: Partial<PaymentSnapshot> = {},
  ) => {
    const now = Date.now();
    Object.assign(payment, change, { status, version: payment.version + 1, updatedAt: now });
    if (status === 'completed' || status === 'failed' || status === 'canceled') payment.completedAt = now;
    await project({ type: `payment.${status}` as ProjectionEvent['type'], details });
  };

  const refuseUnlessPending = (action: string) => {
    if (payment.status !== 'pending' || cancelReason !== null || hurry) {
      const now = cancelReason !== null ? 'being canceled' : hurry && payment.status === 'pending' ? 'about to be processed' : payment.status;
      throw ApplicationFailure.create({
        type: NOT_PENDING_ERROR,
        message: `payment is ${now}; only a pending payment can be ${action}`,
        nonRetryable: true,
      });
    }
  };

  setHandler(getStateQuery, state);
  setHandler(
    cancelUpdate,
    async ({ reason }) => {
      cancelReason = reason?.trim() || 'canceled on request';
      // Canceled, or ended otherwise (a refused projection): the caller reads which.
      await condition(() => TERMINAL_STATUSES.includes(payment.status) && projectedVersion >= payment.version);
      return state();
    },
    { validator: (_request) => refuseUnlessPending('canceled') },
  );
  setHandler(
    processNowUpdate,
    async () => {
      hurry = true;
      await condition(() => payment.status !== 'pending' && projectedVersion >= payment.version);
      return state();
    },
    { validator: () => refuseUnlessPending('processed early') },
  );

  try {
    await project({ type: 'payment.created', details: {} });

    const problem = paymentInputProblem(fields);
    if (problem) {
      await transition('failed', { reason: problem }, { failureReason: problem });
    } else {
      // A zero or past-due delay must not create a timer: it would cost history events for nothing.
      const remaining = payment.scheduledAt - Date.now();
      if (remaining > 0 && cancelReason === null && !hurry) {
        await condition(() => cancelReason !== null || hurry, remaining);
      }
      if (cancelReason !== null) {
        // A Go-contract payment's own webhook is never called on cancel, so it has no delivery to wait for.
        const silent = fields.notifyOwnWebhook === 'processed' && patched('go-contract-cancel-without-webhook');
        await transition('canceled', { reason: cancelReason }, { failureReason: null, ...(silent ? { webhookStatus: null } : {}) });
      } else {
        await charge(payment, transition, hurry);
      }
    }

    await allLanesDone(lanes);
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal === undefined || !patched('projection-refusal-ends-payment')) throw err;
    // The database refuses this payment's state on every attempt: end it, recorded without the
    // fields that caused it, instead of retrying for ever. Money that moved keeps its status.
    const status: PaymentStatus = TERMINAL_STATUSES.includes(payment.status) ? payment.status : 'failed';
    Object.assign(payment, { status, failureReason: refusal, version: payment.version + 1, updatedAt: Date.now() });
    payment.completedAt ??= payment.updatedAt;
    enqueue(await recordRefusedPayment({ ...payment }, refusal));
    projectedVersion = payment.version;
    // Deliveries already under way finish (or dead-letter) as usual; the refused one is settled.
    for (let pending = -1; pending !== lanes.size; ) {
      pending = lanes.size;
      await Promise.allSettled(lanes.values());
    }
    await condition(allHandlersFinished);
    return { status: payment.status, failureReason: refusal, compensated: payment.compensated, webhookStatus: null };
  }
  await condition(allHandlersFinished);
  return {
    status: payment.status,
    failureReason: payment.failureReason,
    compensated: payment.compensated,
    webhookStatus: payment.webhookStatus,
  };
}

/** Deliveries may still be retrying, and a delivery may enqueue more: wait until every lane is done. */
async function allLanesDone(lanes: Map<string, Promise<void>>): Promise<void> {
  for (let pending = -1; pending !== lanes.size; ) {
    pending = lanes.size;
    await Promise.all(lanes.values());
  }
}

/** The reason, when a projection failed because the database refuses the payment for good. */
function refusalOf(err: unknown): string | undefined {
  // Depending on the path, the failure arrives wrapped in an ActivityFailure or as it was thrown.
  for (const e of errorChain(err)) {
    if (e instanceof ApplicationFailure && e.type === PROJECTION_REFUSED_ERROR) return e.message;
  }
  return undefined;
}

type Transition = (status: PaymentStatus, details?: Record<string, unknown>, change?: Partial<PaymentSnapshot>) => Promise<void>;

/** authorize → capture; a capture that fails for good voids the authorization (saga compensation). */
async function charge(payment: PaymentSnapshot, transition: Transition, early: boolean): Promise<void> {
  await transition('processing', early ? { early: true } : {});
  const scenario = typeof payment.data.simulate === 'string' ? payment.data.simulate : undefined;
  const request = { paymentId: payment.paymentId, amount: payment.amount, currency: payment.currency, scenario };

  let authorizationId: string;
  try {
    ({ authorizationId } = await authorizePayment(request));
  } catch (err) {
    const reason = failureMessage(err);
    await transition('failed', { reason, step: 'authorize' }, { failureReason: reason });
    return;
  }
  try {
    await capturePayment({ paymentId: payment.paymentId, authorizationId, scenario });
  } catch (err) {
    const reason = failureMessage(err);
    await voidAuthorization({ paymentId: payment.paymentId, authorizationId });
    await transition('failed', { reason, step: 'capture', compensated: true }, { failureReason: reason, compensated: true });
    return;
  }
  await transition('completed', { authorizationId });
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** Redelivery, replay and test events: the given messages, one after another. */
export async function webhookDeliveryWorkflow(messageIds: string[]): Promise<WebhookDeliveryOutcome[]> {
  const outcomes: WebhookDeliveryOutcome[] = [];
  for (const id of messageIds) outcomes.push(await deliverWebhookMessage(id));
  return outcomes;
}
